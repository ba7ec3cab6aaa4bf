"""The Mastodon API as one Starlette sub-application, and the paths it answers."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from parley.mastodon import entities, filtering, placeholders
from parley.mastodon.errors import HANDLERS
from parley.mastodon.grants import grant_cache
from parley.mastodon.routes import ROUTES
from parley.mastodon.streaming.routes import streaming_routes
from parley.runtime import Runtime

# Everything under these paths belongs to this adapter; the rest goes to the web UI.
OWN_PATHS = (
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/userinfo",
    "/.well-known/oauth-authorization-server",
    entities.MISSING_AVATAR,
    entities.MISSING_HEADER,
)


class TrailingSlash:
    """Rails ignores a trailing slash (`/api/v2/instance/`), and clients rely on it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
            scope.pop("raw_path", None)
        await self.app(scope, receive, send)


async def unknown_api_path(_request: Request) -> None:
    raise HTTPException(404)


def build_mastodon_app(runtime: Runtime) -> Starlette:
    app = Starlette(
        routes=[
            *ROUTES,
            *placeholders.routes,
            Route("/api/{rest:path}", unknown_api_path, methods=None),
        ],
        exception_handlers=HANDLERS,
        middleware=[
            Middleware(TrailingSlash),
            # Mastodon lets any origin call the API: browser apps (Elk, Phanpy) live elsewhere.
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=["*"],
                expose_headers=[
                    "Link",
                    "X-RateLimit-Reset",
                    "X-RateLimit-Limit",
                    "X-RateLimit-Remaining",
                    "X-Request-Id",
                    "Idempotency-Key",
                ],
                max_age=1728000,
            ),
        ],
    )
    app.state.runtime = runtime
    app.state.grants = grant_cache(runtime.broker, runtime.db.engine.sync_engine)
    filtering.remember_filters(runtime.broker, runtime.db.engine.sync_engine)
    app.state.placeholders = {}
    return app


def mastodon_routes(runtime: Runtime) -> list[BaseRoute]:
    """Top-level routes handing this adapter's paths, unchanged, to its sub-application."""
    api = build_mastodon_app(runtime)
    return [
        *streaming_routes(runtime),  # before `/api/...`: it also takes WebSocket connections
        Route("/api/{rest:path}", api, methods=None),
        *(Route(path, api, methods=None) for path in OWN_PATHS),
    ]
