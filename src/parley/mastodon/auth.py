"""Who is calling: the bearer token, its app, its scopes and its member.

Scope rules (parley.domain.oauth.scopes): an endpoint names the granular scope it needs and
any alternatives (`profile` for verify_credentials); a token without one of them gets 403.
A token that is unknown or revoked gets 401, even on endpoints that would answer anonymously,
as Mastodon does; a token whose member waits for approval, or is suspended or disabled, gets
Mastodon's 403 ("Your login is currently pending approval" / "... disabled").

A token's grant is remembered for a few seconds per process (parley.mastodon.grants), so a
`Member` carries IDs, not the member's rows: an endpoint that reads the profile or settings
loads them in its own session (parley.mastodon.views.acting_account / acting_user).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from parley.domain.oauth import scopes as oauth_scopes
from parley.domain.oauth import service as oauth
from parley.domain.oauth.models import OAuthApplication
from parley.domain.oauth.queries import find_token_grant, unusable_token_reason
from parley.infra.tokens import digest
from parley.mastodon.errors import INVALID_TOKEN, NEEDS_USER, OUTSIDE_SCOPES, ApiError
from parley.mastodon.grants import Grant, GrantCache
from parley.runtime import Runtime

REFUSALS = {
    "pending": (403, "Your login is currently pending approval"),
    "disabled": (403, "Your login is currently disabled"),
}


@dataclass(frozen=True, slots=True)
class Member:
    """A signed-in member calling through an app: `id` is the account's."""

    id: int
    user_id: int
    grant: Grant


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


async def token_grant(request: Request) -> Grant | None:
    """The request's grant, looked up once; None without a token, 401 for a bad one."""
    if "grant" in request.state._state:
        cached: Grant | None = request.state.grant
        return cached
    token = bearer_token(request)
    grant = None if token is None else await _grant_of(request, token)
    request.state.grant = grant
    return grant


async def _grant_of(request: Request, token: str) -> Grant:
    grants: GrantCache = request.app.state.grants
    key = digest(token)
    grant = grants.get(key)
    if grant is not None:
        return grant
    generation = grants.generation()
    async with runtime_of(request).db.transaction() as session:
        found = await find_token_grant(session, token)
        if found is None:
            # Mastodon's answers for a member who may not use the API (yet, or any more).
            refusal = REFUSALS.get(await unusable_token_reason(session, token) or "")
            raise ApiError(*(refusal or (401, INVALID_TOKEN)))
        # Written at most every few minutes; a remembered grant is looked up again, and its
        # use noted, when it expires.
        await oauth.note_token_used(session, found.token)
    grant = Grant(
        token_id=found.token.id,
        scopes=tuple(found.scopes),
        application=found.application,
        account_id=None if found.account is None else found.account.id,
        user_id=None if found.user is None else found.user.id,
    )
    grants.put(key, grant, generation)
    return grant


def _check_scopes(grant: Grant, scopes: tuple[str, ...]) -> None:
    if scopes and not any(oauth_scopes.covers(list(grant.scopes), s) for s in scopes):
        raise ApiError(403, OUTSIDE_SCOPES)


async def require_member(request: Request, *scopes: str) -> Member:
    """The calling member, with one of `scopes`; 401 without a token, 422 for an app token."""
    grant = await token_grant(request)
    if grant is None:
        raise ApiError(401, INVALID_TOKEN)
    _check_scopes(grant, scopes)
    if grant.account_id is None or grant.user_id is None:
        raise ApiError(422, NEEDS_USER)
    return Member(grant.account_id, grant.user_id, grant)


async def optional_member(request: Request, *scopes: str) -> Member | None:
    """The calling member if a user token was sent (checked for `scopes`), else None."""
    grant = await token_grant(request)
    if grant is None:
        return None
    _check_scopes(grant, scopes)
    if grant.account_id is None or grant.user_id is None:
        return None
    return Member(grant.account_id, grant.user_id, grant)


async def require_app(request: Request, *scopes: str) -> OAuthApplication:
    """The calling app (any token of it, app-only or a member's)."""
    grant = await token_grant(request)
    if grant is None:
        raise ApiError(401, INVALID_TOKEN)
    _check_scopes(grant, scopes)
    return grant.application
