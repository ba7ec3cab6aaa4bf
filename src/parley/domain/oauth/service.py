"""OAuth 2 commands: registering apps, the authorization-code (with PKCE), password and
client-credentials grants, and revocation.

Hand-written rather than built on authlib's server core: authlib's grants call their storage
hooks synchronously, while every read here is async SQLAlchemy; the grants Mastodon apps use
are few and small enough to state plainly and test one by one.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import User
from parley.domain.context import DomainContext
from parley.domain.errors import Forbidden, Invalid, Unauthenticated
from parley.domain.moderation.permissions import STAFF as STAFF_ROLES
from parley.domain.oauth import scopes as oauth_scopes
from parley.domain.oauth.errors import OAuthError, invalid_client, invalid_grant, invalid_scope
from parley.domain.oauth.models import OAuthAccessToken, OAuthApplication, OAuthAuthorizationCode
from parley.domain.oauth.queries import find_application
from parley.infra.tokens import digest, new_token, same

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_TTL = timedelta(minutes=10)
# last_used_at is refreshed at most this often, so reads do not each cost a write.
USE_RESOLUTION = timedelta(minutes=5)
PKCE_METHODS = ("S256", "plain")
VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
MAX_NAME = 200
MAX_URIS = 10


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: the secret (handed to the client once) and its stored row."""

    secret: str
    access: OAuthAccessToken


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked request to the consent page: which app, where to send the code, what scopes."""

    application: OAuthApplication
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


def _check_redirect_uri(uri: str) -> str:
    if uri == OOB:
        return uri
    parts = urlsplit(uri)
    # Apps use custom schemes (tusky://oauth); any absolute URI without a fragment will do.
    if not parts.scheme or not (parts.netloc or parts.path) or parts.fragment or " " in uri:
        raise Invalid("redirect_uris", "Redirect URI must be an absolute URI.")
    return uri


async def register_application(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: str | None,
    website: str | None = None,
) -> tuple[OAuthApplication, str]:
    """Register a client app; returns it and its client secret (shown only now)."""
    name = name.strip()
    if not name:
        raise Invalid("client_name", "Name can't be blank")
    if len(name) > MAX_NAME:
        raise Invalid("client_name", f"Name is too long (maximum is {MAX_NAME} characters)")
    uris = [u.strip() for u in redirect_uris if u.strip()]
    if not uris:
        raise Invalid("redirect_uris", "Redirect URI can't be blank")
    if len(uris) > MAX_URIS:
        raise Invalid("redirect_uris", f"At most {MAX_URIS} redirect URIs")
    cleaned = [_check_redirect_uri(u) for u in uris]
    granted = oauth_scopes.parse_scopes(scopes, field="scopes")
    website = (website or "").strip() or None
    if website is not None and urlsplit(website).scheme not in ("http", "https"):
        raise Invalid("website", "Website must be an http(s) URL")
    secret = new_token()
    application = OAuthApplication(
        name=name,
        website=website,
        redirect_uris="\n".join(cleaned),
        scopes=oauth_scopes.as_string(granted),
        client_id=new_token(),
        client_secret_hash=digest(secret),
    )
    session.add(application)
    await session.flush()
    return application, secret


async def authenticate_client(
    session: AsyncSession, *, client_id: str | None, client_secret: str | None
) -> OAuthApplication:
    application = await find_application(session, client_id or "")
    if application is None or not client_secret:
        raise invalid_client()
    if not same(application.client_secret_hash, digest(client_secret)):
        raise invalid_client()
    return application


async def check_authorization_request(
    session: AsyncSession,
    *,
    client_id: str | None,
    redirect_uri: str | None,
    response_type: str | None,
    scope: str | None,
    state: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> AuthorizationRequest:
    """Check what the consent page was asked. An unknown client or redirect URI raises
    Invalid (never redirect there); other errors raise OAuthError, to be sent to the client."""
    application = await find_application(session, client_id or "")
    if application is None:
        raise Invalid("client_id", "Client authentication failed: unknown client")
    registered = application.redirect_uris.split("\n")
    if redirect_uri is None and len(registered) == 1:
        redirect_uri = registered[0]
    if redirect_uri is None or redirect_uri not in registered:
        raise Invalid("redirect_uri", "The redirect URI included is not valid.")
    if response_type != "code":
        raise OAuthError(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        )
    try:
        requested = oauth_scopes.parse_scopes(scope)
    except Invalid as exc:
        raise invalid_scope() from exc
    if not oauth_scopes.is_subset(requested, application.scopes):
        raise invalid_scope()
    method = code_challenge_method or ("plain" if code_challenge else None)
    if code_challenge is not None:
        if method not in PKCE_METHODS:
            raise OAuthError("invalid_request", "Code challenge method must be S256 or plain.")
        if not VERIFIER_RE.match(code_challenge):
            raise OAuthError("invalid_request", "Code challenge is malformed.")
    return AuthorizationRequest(
        application=application,
        redirect_uri=redirect_uri,
        scopes=requested,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method=method if code_challenge else None,
    )


async def issue_authorization_code(
    session: AsyncSession, *, request: AuthorizationRequest, account_id: int
) -> str:
    """The member approved the request: a one-time code for the app (10 minutes)."""
    code = new_token()
    session.add(
        OAuthAuthorizationCode(
            code_hash=digest(code),
            application_id=request.application.id,
            account_id=account_id,
            redirect_uri=request.redirect_uri,
            scopes=oauth_scopes.as_string(request.scopes),
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            expires_at=utcnow() + CODE_TTL,
        )
    )
    await session.flush()
    return code


def _pkce_matches(method: str | None, challenge: str, verifier: str) -> bool:
    if not VERIFIER_RE.match(verifier):
        return False
    if method == "S256":
        hashed = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(hashed).decode().rstrip("=")
        return same(computed, challenge)
    return same(verifier, challenge)


async def issue_token(
    session: AsyncSession,
    *,
    application: OAuthApplication,
    account_id: int | None,
    scopes: list[str],
) -> IssuedToken:
    secret = new_token()
    if account_id is not None:  # admin scopes are silently narrowed away for members
        role = await session.scalar(select(User.role).where(User.account_id == account_id))
        scopes = oauth_scopes.for_role(scopes, staff=role in STAFF_ROLES)
    access = OAuthAccessToken(
        token_hash=digest(secret),
        application_id=application.id,
        account_id=account_id,
        scopes=oauth_scopes.as_string(scopes),
    )
    session.add(access)
    await session.flush()
    return IssuedToken(secret, access)


async def exchange_authorization_code(
    session: AsyncSession,
    *,
    application: OAuthApplication,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedToken:
    if not code:
        raise OAuthError("invalid_request", "Missing required parameter: code.")
    # Marking the code used in the same UPDATE that finds it makes a replay lose any race.
    now = utcnow()
    claimed = await session.scalar(
        update(OAuthAuthorizationCode)
        .where(
            OAuthAuthorizationCode.code_hash == digest(code),
            OAuthAuthorizationCode.application_id == application.id,
            OAuthAuthorizationCode.used_at.is_(None),
            OAuthAuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(OAuthAuthorizationCode)
    )
    if claimed is None:
        raise invalid_grant()
    if redirect_uri is not None and redirect_uri != claimed.redirect_uri:
        raise invalid_grant()
    if claimed.code_challenge is not None and (
        not code_verifier
        or not _pkce_matches(claimed.code_challenge_method, claimed.code_challenge, code_verifier)
    ):
        raise invalid_grant()
    return await issue_token(
        session,
        application=application,
        account_id=claimed.account_id,
        scopes=claimed.scopes.split(),
    )


def _requested_scopes(application: OAuthApplication, scope: str | None) -> list[str]:
    try:
        requested = oauth_scopes.parse_scopes(scope)
    except Invalid as exc:
        raise invalid_scope() from exc
    if not oauth_scopes.is_subset(requested, application.scopes):
        raise invalid_scope()
    return requested


async def grant_password(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    application: OAuthApplication,
    username: str | None,
    password: str | None,
    scope: str | None,
) -> IssuedToken:
    """The resource-owner password grant (older apps and scripts still use it)."""
    requested = _requested_scopes(application, scope)
    if not username or not password:
        raise invalid_grant()
    try:
        user = await accounts.authenticate(session, ctx, login=username, password=password)
    except (Unauthenticated, Forbidden) as exc:
        raise invalid_grant() from exc
    # A password alone must not bypass a second factor or a pending approval.
    if user.totp_secret is not None or not user.approved:
        raise invalid_grant()
    return await issue_token(
        session, application=application, account_id=user.account_id, scopes=requested
    )


async def grant_client_credentials(
    session: AsyncSession, *, application: OAuthApplication, scope: str | None
) -> IssuedToken:
    """An app-only token (used to register accounts and read public data)."""
    requested = _requested_scopes(application, scope)
    return await issue_token(session, application=application, account_id=None, scopes=requested)


async def revoke_token(
    session: AsyncSession, *, application: OAuthApplication, token: str | None
) -> None:
    """Revoke one of this app's tokens (RFC 7009: an unknown token is not an error)."""
    if not token:
        return
    owner = await session.scalar(
        select(OAuthAccessToken.application_id).where(OAuthAccessToken.token_hash == digest(token))
    )
    if owner is None:
        return
    if owner != application.id:
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token")
    await session.execute(
        update(OAuthAccessToken)
        .where(
            OAuthAccessToken.token_hash == digest(token),
            OAuthAccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


async def register_account(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    application: OAuthApplication,
    username: str,
    email: str,
    password: str,
    agreement: bool,
    scopes: list[str],
    reason: str = "",
    invite_code: str | None = None,
    ip: str | None = None,
) -> IssuedToken:
    """Sign-up through an app: the account (under the registration rules) and its first token.
    A sign-up waiting for approval gets its token too; it works once a moderator approves."""
    user = await accounts.register(
        session,
        ctx,
        username=username,
        email=email,
        password=password,
        rules_accepted=agreement,
        reason=reason,
        invite_code=invite_code,
        ip=ip,
    )
    return await issue_token(
        session, application=application, account_id=user.account_id, scopes=scopes
    )


async def note_token_used(session: AsyncSession, access: OAuthAccessToken) -> None:
    """Record that a token was used (at most every few minutes)."""
    now = utcnow()
    if access.last_used_at is not None and now - access.last_used_at < USE_RESOLUTION:
        return
    await session.execute(
        update(OAuthAccessToken).where(OAuthAccessToken.id == access.id).values(last_used_at=now)
    )
