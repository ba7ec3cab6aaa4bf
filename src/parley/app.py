"""create_app(settings): the composition root. Nothing is built at import time."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.types import Scope

from parley.activitypub import outbox
from parley.activitypub.archive import ArchiveCodec
from parley.activitypub.federation import Federation
from parley.activitypub.jobs import build_federation_handlers
from parley.activitypub.lookup import resolve_account_for_search
from parley.activitypub.moves import refresh_account
from parley.activitypub.negotiation import NegotiationMiddleware
from parley.activitypub.routes import build_routes as activitypub_routes
from parley.config import Settings
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.domain.events import JOB_PREFIX
from parley.domain.media.jobs import media_handlers
from parley.domain.portability.jobs import portability_handlers
from parley.edge.guard import Guard
from parley.edge.stack import build_guard, edge_middleware
from parley.infra.pubsub import build_broker
from parley.jobs.handlers import build_handlers
from parley.jobs.worker import Handler as Listener
from parley.jobs.worker import Worker
from parley.mastodon.app import mastodon_routes
from parley.mastodon.streaming.listeners import build_stream_listeners
from parley.mastodon.watch import stop_listening
from parley.ops.health import build_ops_routes
from parley.ops.requests import RouteRecorder
from parley.runtime import Runtime
from parley.web.page_cache import PageCacheMiddleware, PageInvalidation, PageStore
from parley.web.routes import build_web_app

log = logging.getLogger(__name__)


def assemble(settings: Settings) -> tuple[Runtime, Federation, PageInvalidation]:
    """The shared objects of one instance, with every adapter's job handlers registered."""
    settings = settings.with_secret()
    db = Database(settings.database_url)
    ctx = DomainContext.from_settings(settings)
    worker = Worker(db, {}, concurrency=settings.worker_concurrency)
    runtime = Runtime(
        settings=settings, db=db, ctx=ctx, worker=worker, broker=build_broker(settings)
    )
    federation = Federation.from_runtime(runtime)
    # Search may fetch remote accounts: the domain reaches the adapter through the context.
    runtime.ctx = federation.ctx = replace(
        ctx,
        resolve_remote_account=partial(resolve_account_for_search, federation),
        refresh_remote_account=partial(refresh_account, federation),
        archive_codec=ArchiveCodec(base_url=settings.base_url),
    )
    pages = PageInvalidation(
        store=PageStore(
            seconds=settings.page_cache_seconds, max_bytes=settings.page_cache_mb * 1024 * 1024
        ),
        db=db,
        broker=runtime.broker,
    )
    federation_jobs = {
        kind: handler
        for kind, handler in build_federation_handlers(runtime, federation).items()
        if not kind.startswith(JOB_PREFIX)
    }
    worker.handlers = build_handlers(
        settings,
        db,
        listeners={
            "federation": outbox.build_listeners(federation),
            # One job per event for both: dropping kept pages is a few reads at most, and
            # comes first, since it never fails (a failed stream message retries the job).
            "streaming": _also(
                pages.listeners(), build_stream_listeners(runtime, notification_events=True)
            ),
        },
        extra={
            **federation_jobs,
            **media_handlers(settings, db),
            **portability_handlers(db, runtime.ctx),
        },
    )
    return runtime, federation, pages


def _also(first: Mapping[str, Listener], then: Mapping[str, Listener]) -> dict[str, Listener]:
    """Listeners running `first`'s, then `then`'s, for each event either listens to."""

    def both(a: Listener | None, b: Listener | None) -> Listener:
        async def listener(payload: dict[str, Any]) -> None:
            if a is not None:
                await a(payload)
            if b is not None:
                await b(payload)

        return listener

    return {event: both(first.get(event), then.get(event)) for event in {*first, *then}}


def build_runtime(settings: Settings) -> Runtime:
    """For commands that need no web app (`parley worker`, `parley admin ...`)."""
    return assemble(settings)[0]


def create_app(settings: Settings, *, run_worker: bool | None = None) -> Starlette:
    runtime, federation, pages = assemble(settings)
    embedded = settings.embedded_worker if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            if embedded:
                tasks.start_soon(runtime.worker.run_forever)
            if pages.store.enabled:
                tasks.start_soon(pages.follow_others)
            yield
            tasks.cancel_scope.cancel()
        await stop_listening(runtime.broker)
        await runtime.broker.close()
        await guard.limiter.close()
        await federation.aclose()
        await runtime.db.dispose()

    # Each adapter is a sub-application with its own error convention; the web UI comes last
    # because it owns the root.
    guard = build_guard(runtime)
    app = Starlette(
        routes=[
            *build_ops_routes(runtime, guard.metrics, guard.attack.active),
            *mastodon_routes(runtime),
            *activitypub_routes(),
            Mount("/", app=build_web_app(runtime)),
        ],
        middleware=[
            # Request ids and logs, rate limits, the under-attack check, caching headers.
            *edge_middleware(guard),
            # Kept signed-in pages, and dropping them after a member's changes.
            Middleware(
                PageCacheMiddleware,
                store=pages.store,
                member_of=partial(_member_of, guard),
                broadcast=pages.tell_others,
                metrics=guard.metrics,
            ),
            # Serves `/@user` to servers as AS2 and to browsers as HTML.
            Middleware(NegotiationMiddleware),
            Middleware(RouteRecorder),  # innermost: which route answered, for the metrics
        ],
        lifespan=lifespan,
    )
    app.state.guard = guard
    app.state.runtime = runtime
    app.state.federation = federation
    app.state.page_cache = pages.store
    return app


async def _member_of(guard: Guard, scope: Scope) -> int | None:
    """The member behind a request's session or token (the edge has usually looked already)."""
    found = await guard.member(guard.caller(scope))
    if found is None or not found.startswith("account:"):
        return None
    return int(found.removeprefix("account:"))
