"""Who is calling: the bearer token, its app, its scopes and its member.

Scope rules (parley.domain.oauth.scopes): an endpoint names the granular scope it needs and
any alternatives (`profile` for verify_credentials); a token without one of them gets 403.
A token that is unknown or revoked gets 401, even on endpoints that would answer anonymously,
as Mastodon does; a token whose member waits for approval, or is suspended or disabled, gets
Mastodon's 403 ("Your login is currently pending approval" / "... disabled").
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from parley.domain.accounts.models import Account, User
from parley.domain.oauth import scopes as oauth_scopes
from parley.domain.oauth import service as oauth
from parley.domain.oauth.models import OAuthApplication
from parley.domain.oauth.queries import TokenGrant, find_token_grant, unusable_token_reason
from parley.mastodon.errors import INVALID_TOKEN, NEEDS_USER, OUTSIDE_SCOPES, ApiError
from parley.runtime import Runtime

REFUSALS = {
    "pending": (403, "Your login is currently pending approval"),
    "disabled": (403, "Your login is currently disabled"),
}


@dataclass(frozen=True, slots=True)
class Member:
    """A signed-in member calling through an app."""

    account: Account
    user: User
    grant: TokenGrant

    @property
    def id(self) -> int:
        return self.account.id


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


async def token_grant(request: Request) -> TokenGrant | None:
    """The request's grant, looked up once; None without a token, 401 for a bad one."""
    if "grant" in request.state._state:
        cached: TokenGrant | None = request.state.grant
        return cached
    token = bearer_token(request)
    grant = None
    if token is not None:
        async with runtime_of(request).db.transaction() as session:
            grant = await find_token_grant(session, token)
            if grant is None:
                # Mastodon's answers for a member who may not use the API (yet, or any more).
                refusal = REFUSALS.get(await unusable_token_reason(session, token) or "")
                raise ApiError(*(refusal or (401, INVALID_TOKEN)))
            await oauth.note_token_used(session, grant.token)
    request.state.grant = grant
    return grant


def _check_scopes(grant: TokenGrant, scopes: tuple[str, ...]) -> None:
    if scopes and not any(oauth_scopes.covers(grant.scopes, s) for s in scopes):
        raise ApiError(403, OUTSIDE_SCOPES)


async def require_member(request: Request, *scopes: str) -> Member:
    """The calling member, with one of `scopes`; 401 without a token, 422 for an app token."""
    grant = await token_grant(request)
    if grant is None:
        raise ApiError(401, INVALID_TOKEN)
    _check_scopes(grant, scopes)
    if grant.account is None or grant.user is None:
        raise ApiError(422, NEEDS_USER)
    return Member(grant.account, grant.user, grant)


async def optional_member(request: Request, *scopes: str) -> Member | None:
    """The calling member if a user token was sent (checked for `scopes`), else None."""
    grant = await token_grant(request)
    if grant is None:
        return None
    _check_scopes(grant, scopes)
    if grant.account is None or grant.user is None:
        return None
    return Member(grant.account, grant.user, grant)


async def require_app(request: Request, *scopes: str) -> OAuthApplication:
    """The calling app (any token of it, app-only or a member's)."""
    grant = await token_grant(request)
    if grant is None:
        raise ApiError(401, INVALID_TOKEN)
    _check_scopes(grant, scopes)
    return grant.application
