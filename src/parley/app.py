"""create_app(settings): the composition root. Nothing is built at import time."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from parley.activitypub.federation import Federation
from parley.activitypub.negotiation import NegotiationMiddleware
from parley.activitypub.routes import build_routes as activitypub_routes
from parley.config import Settings
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.jobs.handlers import build_handlers
from parley.jobs.worker import Worker
from parley.mastodon.app import mastodon_routes
from parley.runtime import Runtime
from parley.web.routes import build_web_app

log = logging.getLogger(__name__)


def build_runtime(settings: Settings) -> Runtime:
    settings = settings.with_secret()
    db = Database(settings.database_url)
    ctx = DomainContext.from_settings(settings)
    worker = Worker(db, build_handlers(settings, db))
    return Runtime(settings=settings, db=db, ctx=ctx, worker=worker)


def create_app(settings: Settings, *, run_worker: bool | None = None) -> Starlette:
    runtime = build_runtime(settings)
    embedded = settings.embedded_worker if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            if embedded:
                tasks.start_soon(runtime.worker.run_forever)
            yield
            tasks.cancel_scope.cancel()
        await runtime.db.dispose()

    # Each adapter is a sub-application with its own error convention; the web UI comes last
    # because it owns the root.
    app = Starlette(
        routes=[
            *mastodon_routes(runtime),
            *activitypub_routes(),
            Mount("/", app=build_web_app(runtime)),
        ],
        # Serves `/@user` to servers as AS2 and to browsers as HTML.
        middleware=[Middleware(NegotiationMiddleware)],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.federation = Federation.from_runtime(runtime)
    return app
