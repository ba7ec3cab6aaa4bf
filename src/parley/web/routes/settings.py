"""Settings: the profile, the account's password, and deleting the account."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.accounts import deletion
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import get_account, get_user_for_account
from parley.domain.errors import DomainError, Invalid
from parley.domain.pagination import PageRequest
from parley.domain.relationships import domain_blocks
from parley.web import forms, uploads
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import SESSION_COOKIE, require_viewer, runtime_of, set_session_cookie

PROFILE_FIELDS = accounts.MAX_FIELDS


def _profile_values(account: Account) -> dict[str, Any]:
    fields = [(f.get("name", ""), f.get("value", "")) for f in account.fields or []]
    return {
        "display_name": account.display_name,
        "note": account.note,
        "fields": fields + [("", "")] * (PROFILE_FIELDS - len(fields)),
        "locked": account.locked,
        "discoverable": account.discoverable,
        "bot": account.bot,
    }


async def profile(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    values = _profile_values(viewer.account)
    error: DomainError | None = None
    if request.method == "POST":
        form = await checked_form(request)
        values = {
            "display_name": forms.text(form, "display_name"),
            "note": forms.text(form, "note"),
            "fields": forms.profile_fields(form, PROFILE_FIELDS),
            "locked": forms.flag(form, "locked"),
            "discoverable": forms.flag(form, "discoverable"),
            "bot": forms.flag(form, "bot"),
        }
        try:
            async with runtime.db.transaction() as session:
                account = await get_account(session, viewer.account.id)
                await accounts.update_profile(session, runtime.ctx, account=account, **values)
                await accounts.set_media_preferences(
                    session,
                    user=await get_user_for_account(session, account.id),
                    require_media_description=forms.flag(form, "require_media_description"),
                )
                for slot, data in (await uploads.profile_images(form, runtime)).items():
                    await accounts.set_profile_image(
                        session, runtime.ctx, account=account, slot=slot, data=data
                    )
            return RedirectResponse("/settings/profile?saved=1", status_code=303)
        except DomainError as exc:
            error = exc
        finally:
            await form.close()
    return await render(
        request,
        "settings/profile.html",
        {
            "values": values,
            "error": error,
            "limits": {"display_name": accounts.MAX_DISPLAY_NAME, "note": accounts.MAX_NOTE},
            "notice": "Profile saved." if request.query_params.get("saved") else None,
        },
        status_code=422 if error else 200,
    )


async def account(request: Request) -> Response:
    viewer = await require_viewer(request)
    return await render(
        request,
        "settings/account.html",
        {
            "email": viewer.user.email,
            "error": None,
            "notice": "Password changed. Other devices were signed out."
            if request.query_params.get("changed")
            else None,
        },
    )


async def change_password(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    form = await checked_form(request)
    new = forms.text(form, "new_password")
    try:
        if new != forms.text(form, "new_password_confirmation"):
            raise Invalid("new_password_confirmation", "The two new passwords do not match")
        async with runtime.db.transaction() as session:
            user = await get_user_for_account(session, viewer.account.id)
            await accounts.change_password(
                session,
                runtime.ctx,
                user=user,
                current=forms.text(form, "current_password"),
                new=new,
            )
            # Changing the password signs out every browser; this one signs straight back in.
            token = await accounts.start_web_session(
                session, runtime.ctx, user=user, user_agent=request.headers.get("user-agent", "")
            )
    except DomainError as exc:
        return await render(
            request,
            "settings/account.html",
            {"email": viewer.user.email, "error": exc},
            status_code=422,
        )
    response = RedirectResponse("/settings/account?changed=1", status_code=303)
    set_session_cookie(request, response, token)
    return response


async def delete_account(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    error: DomainError | None = None
    if request.method == "POST":
        form = await checked_form(request)
        try:
            async with runtime.db.transaction() as session:
                await deletion.delete_account(
                    session,
                    runtime.ctx,
                    account=await get_account(session, viewer.account.id),
                    password=forms.text(form, "password"),
                )
        except DomainError as exc:
            error = exc
        else:
            response = RedirectResponse("/about?deleted=1", status_code=303)
            response.delete_cookie(SESSION_COOKIE)
            return response
    return await render(
        request, "settings/delete.html", {"error": error}, status_code=422 if error else 200
    )


async def blocked_servers(request: Request) -> Response:
    """The servers the member hid: list, add (`domain`), remove (`remove` = a domain)."""
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    error: DomainError | None = None
    if request.method == "POST":
        form = await checked_form(request)
        removed = forms.text(form, "remove")
        change = domain_blocks.unblock_domain_for if removed else domain_blocks.block_domain_for
        try:
            async with runtime.db.transaction() as session:
                await change(
                    session,
                    account=await get_account(session, viewer.account.id),
                    domain=removed or forms.text(form, "domain"),
                    local_domain=runtime.settings.domain,
                )
            return RedirectResponse("/settings/domain_blocks", status_code=303)
        except DomainError as exc:
            error = exc
    async with runtime.db.reader() as session:
        found = await domain_blocks.list_domain_blocks_of(
            session, viewer.account.id, PageRequest(limit=domain_blocks.MAX_DOMAIN_BLOCKS)
        )
    return await render(
        request,
        "settings/domain_blocks.html",
        {"domains": [domain for _cursor, domain in found], "error": error},
        status_code=422 if error else 200,
    )


async def preferences(request: Request) -> Response:
    """Media display (show all / hide sensitive / hide all) and posting defaults: who new
    parleys reach, their language, sensitive media."""
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    error: DomainError | None = None
    values = {
        "media_display": viewer.user.media_display,
        "default_sensitive": viewer.user.default_sensitive,
        "default_visibility": viewer.user.default_visibility,
        "default_language": viewer.user.default_language or "",
    }
    if request.method == "POST":
        form = await checked_form(request)
        values = {
            "media_display": forms.text(form, "media_display"),
            "default_sensitive": forms.flag(form, "default_sensitive"),
            "default_visibility": forms.text(form, "default_visibility"),
            "default_language": forms.text(form, "default_language").strip(),
        }
        try:
            async with runtime.db.transaction() as session:
                user = await get_user_for_account(session, viewer.account.id)
                await accounts.set_posting_defaults(
                    session,
                    user=user,
                    # A form without the field leaves the setting; an empty language clears it.
                    visibility=str(values["default_visibility"]) or None,
                    language=str(values["default_language"])
                    if "default_language" in form
                    else None,
                )
                await accounts.set_reading_preferences(
                    session,
                    user=user,
                    media_display=str(values["media_display"]),
                    default_sensitive=bool(values["default_sensitive"]),
                )
            return RedirectResponse("/settings/preferences?saved=1", status_code=303)
        except DomainError as exc:
            error = exc
    return await render(
        request,
        "settings/preferences.html",
        {"values": values, "error": error, "choices": accounts.MEDIA_DISPLAY,
         "notice": "Preferences saved." if request.query_params.get("saved") else None},
        status_code=422 if error else 200,
    )  # fmt: skip


async def index(request: Request) -> Response:
    return RedirectResponse("/settings/profile", status_code=303)


routes = [
    Route("/settings", index),
    Route("/settings/profile", profile, methods=["GET", "POST"]),
    Route("/settings/account", account),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/settings/delete", delete_account, methods=["GET", "POST"]),
    Route("/settings/domain_blocks", blocked_servers, methods=["GET", "POST"]),
    Route("/settings/preferences", preferences, methods=["GET", "POST"]),
]
