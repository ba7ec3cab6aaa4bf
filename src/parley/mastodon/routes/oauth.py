"""OAuth 2 token endpoint, revocation and RFC 8414 server metadata.

The consent page (/oauth/authorize) is served by the web adapter, which owns browser sessions.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.moderation.ip_blocks import check_ip_access
from parley.domain.oauth import scopes as oauth_scopes
from parley.domain.oauth import service as oauth
from parley.domain.oauth.errors import OAuthError
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response
from parley.mastodon.views import acting_account

GRANT_TYPES = ("authorization_code", "password", "client_credentials")


def _client_credentials(request: Request, params: Params) -> tuple[str | None, str | None]:
    """client_secret_post, or HTTP Basic (client_secret_basic)."""
    client_id, client_secret = params.string("client_id"), params.string("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic ") and not client_id:
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        user, _, password = decoded.partition(":")
        return unquote(user), unquote(password)
    return client_id, client_secret


async def token(request: Request) -> Response:
    params = await Params.read(request)
    grant_type = params.string("grant_type")
    if grant_type not in GRANT_TYPES:
        raise OAuthError(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    runtime = runtime_of(request)
    client_id, client_secret = _client_credentials(request, params)
    async with runtime.db.transaction() as session:
        await check_ip_access(session, request.client.host if request.client else None)
        app = await oauth.authenticate_client(
            session, client_id=client_id, client_secret=client_secret
        )
        if grant_type == "authorization_code":
            issued = await oauth.exchange_authorization_code(
                session,
                application=app,
                code=params.string("code"),
                redirect_uri=params.string("redirect_uri"),
                code_verifier=params.string("code_verifier"),
            )
        elif grant_type == "password":
            issued = await oauth.grant_password(
                session,
                runtime.ctx,
                application=app,
                username=params.string("username"),
                password=params.string("password"),
                scope=params.string("scope"),
            )
        else:
            issued = await oauth.grant_client_credentials(
                session, application=app, scope=params.string("scope")
            )
    return json_response(entities.token(issued), headers={"Cache-Control": "no-store"})


async def revoke(request: Request) -> Response:
    params = await Params.read(request)
    client_id, client_secret = _client_credentials(request, params)
    async with runtime_of(request).db.transaction() as session:
        app = await oauth.authenticate_client(
            session, client_id=client_id, client_secret=client_secret
        )
        await oauth.revoke_token(session, application=app, token=params.string("token"))
    return json_response({})


async def server_metadata(request: Request) -> Response:
    base = runtime_of(request).settings.base_url
    return json_response(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "scopes_supported": list(oauth_scopes.SUPPORTED),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": list(oauth.PKCE_METHODS),
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


async def userinfo(request: Request) -> Response:
    """OpenID Connect-style profile of the token's member (Mastodon 4.3's `profile` scope)."""
    member = await require_member(request, "profile", "read:accounts")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        acc = await acting_account(session, member)
    base = runtime.settings.base_url
    return json_response(
        {
            "iss": f"{base}/",
            "sub": acc.uri,
            "name": acc.display_name or acc.username,
            "preferred_username": acc.username,
            "profile": acc.url or acc.uri,
            "picture": acc.avatar_url or f"{base}{entities.MISSING_AVATAR}",
        }
    )


routes = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/oauth/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
]
