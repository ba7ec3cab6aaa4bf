"""Accounts: sign-up through an app, credentials, profiles, lookup and search, preferences."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts import queries as account_queries
from parley.domain.accounts import service as accounts
from parley.domain.errors import Conflict, Invalid
from parley.domain.federation.lookup import resolve_account, with_resolved
from parley.domain.moderation.permissions import STAFF
from parley.domain.oauth import service as oauth
from parley.domain.oauth.scopes import parse_scopes
from parley.domain.pagination import PageRequest
from parley.domain.portability.queries import find_moved_to
from parley.domain.relationships.queries import list_follow_requests
from parley.mastodon import entities
from parley.mastodon.auth import Member, optional_member, require_app, require_member, runtime_of
from parley.mastodon.errors import NOT_FOUND, ApiError
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response
from parley.mastodon.views import acting_account, acting_user, path_id, render_accounts

SIGN_UP_FIELDS = {"username": "username", "email": "email", "password": "password"}


def _signup_error(exc: Invalid | Conflict) -> Response:
    """Mastodon's sign-up error: a summary plus per-field `details` that apps show inline."""
    if isinstance(exc, Invalid):
        field, code = exc.field or "base", "ERR_INVALID"
    else:
        field = "email" if "e-mail" in exc.message else "username"
        code = "ERR_TAKEN"
    if field == "agreement":
        code = "ERR_ACCEPTED"
    elif field == "reason" and "at most" not in exc.message:
        code = "ERR_BLANK"
    return json_response(
        {
            "error": f"Validation failed: {exc.message}",
            "details": {field: [{"error": code, "description": exc.message}]},
        },
        status=422,
    )


async def create_account(request: Request) -> Response:
    app = await require_app(request, "write:accounts")
    params = await Params.read(request)
    runtime = runtime_of(request)
    try:
        async with runtime.db.transaction() as session:
            issued = await oauth.register_account(
                session,
                runtime.ctx,
                application=app,
                username=params.string("username") or "",
                email=params.string("email") or "",
                password=params.string("password") or "",
                agreement=bool(params.boolean("agreement", False)),
                scopes=parse_scopes(app.scopes),
                reason=params.string("reason") or "",
                invite_code=params.string("invite_code"),
                ip=request.client.host if request.client else None,
            )
    except (Invalid, Conflict) as exc:
        return _signup_error(exc)
    return json_response(entities.token(issued))


async def _credential(request: Request, member: Member) -> entities.Entity:
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        account = await account_queries.get_account(session, member.id)
        user = await account_queries.get_user_for_account(session, member.id)
        # Counted up to one page: apps show a badge, not an exact number.
        pending = len(await list_follow_requests(session, member.id, PageRequest(limit=40)))
        moved_to = await find_moved_to(session, account)
    return entities.credential_account(
        runtime.settings.base_url, account, user, follow_requests_count=pending, moved_to=moved_to
    )


async def verify_credentials(request: Request) -> Response:
    member = await require_member(request, "read:accounts", "profile")
    return json_response(await _credential(request, member))


def _fields(params: Params) -> list[tuple[str, str]] | None:
    if not params.has("fields_attributes"):
        return None
    found = []
    for item in params.array("fields_attributes"):
        if not isinstance(item, dict):
            raise Invalid("fields_attributes", "fields_attributes must be a list of objects")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise Invalid("fields_attributes", "Field names and values must be strings")
        found.append((name, value))
    return found


async def update_credentials(request: Request) -> Response:
    member = await require_member(request, "write:accounts")
    params = await Params.read(request)
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        await accounts.update_profile(
            session,
            runtime.ctx,
            account=await acting_account(session, member),
            display_name=params.string("display_name"),
            note=params.string("note"),
            fields=_fields(params),
            locked=params.boolean("locked"),
            bot=params.boolean("bot"),
            discoverable=params.boolean("discoverable"),
        )
        source = params.sub("source")
        if source is not None:
            user = await account_queries.get_user_for_account(session, member.id)
            await accounts.set_posting_defaults(
                session,
                user=user,
                visibility=source.string("privacy"),
                language=source.string("language"),
            )
            if source.has("sensitive"):
                await accounts.set_reading_preferences(
                    session, user=user, default_sensitive=bool(source.boolean("sensitive"))
                )
        for slot, data in (await _profile_images(request)).items():
            await accounts.set_profile_image(
                session,
                runtime.ctx,
                account=await acting_account(session, member),
                slot=slot,
                data=data,
            )
    return json_response(await _credential(request, member))


async def _profile_images(request: Request) -> dict[str, bytes]:
    """`avatar` and `header` files of a multipart PATCH (Params keeps only text fields)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return {}
    settings = runtime_of(request).settings
    found = {}
    async with request.form() as form:  # the form Params.read parsed, closed here
        for slot in accounts.PROFILE_IMAGES:
            upload = form.get(slot)
            if isinstance(upload, UploadFile) and upload.filename:
                found[slot] = await upload.read(settings.media_max_image_bytes + 1)
    return found


async def get_account(request: Request) -> Response:
    member = await optional_member(request, "read:accounts")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        account = await account_queries.get_account(session, path_id(request))
        # Mastodon answers 404 for a sign-up waiting for approval, except to staff.
        staff = member is not None and (await acting_user(session, member)).role in STAFF
        if not staff and await account_queries.is_pending(session, account.id):
            raise ApiError(404, NOT_FOUND)
        moved_to = await find_moved_to(session, account)
    return json_response(entities.account(runtime.settings.base_url, account, moved_to=moved_to))


async def get_accounts(request: Request) -> Response:
    """Several accounts at once (`id[]`, at most 40, Mastodon 4.3), in the order asked;
    unknown, suspended and pending ones are left out, as Mastodon does."""
    await optional_member(request, "read:accounts")
    params = await Params.read(request)
    ids = params.ids("id", limit=40)
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        found = {a.id: a for a in await account_queries.visible_accounts(session, ids)}
        rendered = await render_accounts(
            session, runtime.settings.base_url, [found[i] for i in ids if i in found]
        )
    return json_response(rendered)


async def lookup(request: Request) -> Response:
    await optional_member(request, "read:accounts")
    params = await Params.read(request)
    acct = (params.string("acct") or "").strip().lstrip("@")
    username, _, domain = acct.partition("@")
    runtime = runtime_of(request)
    if domain.lower() == runtime.settings.domain:
        domain = ""
    async with runtime.db.reader() as session:
        found = await account_queries.find_account_by_acct(session, username, domain or None)
        moved_to = None if found is None else await find_moved_to(session, found)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(entities.account(runtime.settings.base_url, found, moved_to=moved_to))


async def search(request: Request) -> Response:
    await require_member(request, "read:accounts")
    params = await Params.read(request)
    limit = max(1, min(params.integer("limit", 40) or 40, 80))
    query = (params.string("q") or "").strip()
    runtime = runtime_of(request)
    resolved = None
    if query and params.boolean("resolve", False) and not params.integer("offset", 0):
        resolved = await resolve_account(runtime.ctx, query)
    async with runtime.db.reader() as session:
        found = await account_queries.search_accounts(session, query, limit=limit)
        found = await with_resolved(session, found, resolved, limit=limit)
        body = await render_accounts(session, runtime.settings.base_url, found)
    return json_response(body)


async def preferences(request: Request) -> Response:
    member = await require_member(request, "read:accounts")
    async with runtime_of(request).db.reader() as session:
        user = await acting_user(session, member)
    return json_response(
        {
            "posting:default:visibility": user.default_visibility,
            "posting:default:sensitive": user.default_sensitive,
            "posting:default:language": user.default_language,
            "posting:default:quote_policy": "public",
            "reading:expand:media": user.media_display,
            "reading:expand:spoilers": False,
            "reading:autoplay:gifs": False,
        }
    )


routes = [
    Route("/api/v1/accounts", create_account, methods=["POST"]),
    Route("/api/v1/accounts", get_accounts, methods=["GET"]),
    Route("/api/v1/accounts/verify_credentials", verify_credentials, methods=["GET"]),
    Route("/api/v1/accounts/update_credentials", update_credentials, methods=["PATCH"]),
    Route("/api/v1/accounts/lookup", lookup, methods=["GET"]),
    Route("/api/v1/accounts/search", search, methods=["GET"]),
    Route("/api/v1/preferences", preferences, methods=["GET"]),
    Route("/api/v1/accounts/{id}", get_account, methods=["GET"]),
]
