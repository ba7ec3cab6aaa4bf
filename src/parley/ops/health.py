"""/health (readiness), /health/live (liveness) and /metrics.

Ready means: the database answers, its schema is at the newest migration, and the job queue
is moving (no due job has waited longer than PARLEY_HEALTH_QUEUE_STUCK_SECONDS). Not ready is
503 with the failing checks named, so a load balancer stops sending traffic and a person can
see why. The answer is reused for READINESS_SECONDS (the probe is exempt from rate limits, so
it must stay cheap). /metrics answers loopback clients, or a request with the
PARLEY_METRICS_TOKEN bearer.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley.db.base import utcnow
from parley.db.migrate import alembic_config
from parley.jobs.models import Job, JobState
from parley.ops.metrics import Metrics
from parley.ops.ttl import TtlValue
from parley.runtime import Runtime

NO_STORE = {"Cache-Control": "no-store"}
READINESS_SECONDS = 2.0


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@lru_cache(maxsize=4)  # the scripts on disk do not change while the process runs
def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


async def queue_stats(runtime: Runtime) -> dict[str, Any]:
    now = utcnow()
    async with runtime.db.reader() as session:
        queued = await session.scalar(
            select(func.count()).select_from(Job).where(Job.state == JobState.QUEUED)
        )
        failed = await session.scalar(
            select(func.count()).select_from(Job).where(Job.state == JobState.FAILED)
        )
        is_due = (Job.state == JobState.QUEUED) & (Job.run_at <= now)
        due_count = await session.scalar(select(func.count()).select_from(Job).where(is_due))
        oldest = await session.scalar(select(func.min(Job.run_at)).where(is_due))
    waited = (now - oldest).total_seconds() if oldest is not None else 0.0
    return {"queued": queued or 0, "due": due_count or 0, "failed": failed or 0,
            "oldest_due_seconds": round(max(waited, 0.0), 1)}  # fmt: skip


async def readiness(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    try:
        async with runtime.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = await connection.run_sync(_current_revision)
        checks["database"] = {"ok": True}
    except (SQLAlchemyError, OSError) as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        return False, checks
    head = head_revision(runtime.settings.database_url)
    checks["migrations"] = {"ok": current == head, "current": current, "head": head}
    queue = await queue_stats(runtime)
    limit = timedelta(seconds=runtime.settings.health_queue_stuck_seconds).total_seconds()
    checks["queue"] = {"ok": queue["oldest_due_seconds"] <= limit, **queue}
    return all(check["ok"] for check in checks.values()), checks


def build_ops_routes(
    runtime: Runtime,
    metrics: Metrics,
    under_attack: Any,
    clock: Callable[[], float] = time.monotonic,
) -> list[Route]:
    """`under_attack` is an async callable answering whether the mode is on."""
    recent: TtlValue[tuple[bool, dict[str, Any]]] = TtlValue(READINESS_SECONDS, clock)

    async def live(_request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def ready(_request: Request) -> Response:
        ok, checks = await recent.get(lambda: readiness(runtime))
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
            headers=NO_STORE,
        )

    async def scrape(request: Request) -> Response:
        if not allowed_to_scrape(request, runtime.settings.metrics_token):
            return JSONResponse({"error": "Forbidden"}, status_code=403, headers=NO_STORE)
        try:
            queue = await queue_stats(runtime)
        except SQLAlchemyError:
            queue = {"queued": -1, "due": -1, "failed": -1, "oldest_due_seconds": -1}
        for state in ("queued", "due", "failed"):
            metrics.queue.labels(state).set(queue[state])
        metrics.queue_oldest.set(queue["oldest_due_seconds"])
        metrics.under_attack.set(1 if await under_attack() else 0)
        return Response(
            metrics.exposition(),
            media_type="text/plain; version=0.0.4; charset=utf-8",
            headers=NO_STORE,
        )

    return [
        Route("/health", ready, methods=["GET", "HEAD"]),
        Route("/health/ready", ready, methods=["GET", "HEAD"]),
        Route("/health/live", live, methods=["GET", "HEAD"]),
        Route("/metrics", scrape, methods=["GET"]),
    ]


def allowed_to_scrape(request: Request, token: str | None) -> bool:
    """Loopback peers (the socket's address, never a forwarded one), or the bearer token."""
    if token:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        # Compared as bytes: compare_digest refuses non-ASCII str (a header may hold any).
        given = value.strip().encode("latin-1", "replace")
        if scheme.lower() == "bearer" and hmac.compare_digest(given, token.encode()):
            return True
    peer = request.client.host if request.client else ""
    forwarded = "x-forwarded-for" in request.headers
    return peer in ("127.0.0.1", "::1") and not forwarded
