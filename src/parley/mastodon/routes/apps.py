"""Client apps: registration and verify_credentials."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.oauth import service as oauth
from parley.mastodon import entities
from parley.mastodon.auth import require_app, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response


async def create_app(request: Request) -> Response:
    params = await Params.read(request)
    raw_uris = params.data.get("redirect_uris")
    # Apps send one string (newline- or space-separated) or an array.
    uris = params.strings("redirect_uris") if isinstance(raw_uris, list) else None
    if uris is None:
        uris = (params.string("redirect_uris") or "").split()
    async with runtime_of(request).db.transaction() as session:
        app, secret = await oauth.register_application(
            session,
            name=params.string("client_name") or "",
            redirect_uris=uris,
            scopes=params.string("scopes"),
            website=params.string("website"),
        )
    return json_response(entities.application(app, client_secret=secret))


async def verify_app(request: Request) -> Response:
    app = await require_app(request)
    return json_response(entities.application(app))


routes = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_app, methods=["GET"]),
]
