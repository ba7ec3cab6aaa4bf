"""/health reuses its readiness answer for a short window (it is exempt from every limit, so
a flood of probes must not become a flood of queries), and a failure still shows once the
window has passed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from parley.db.base import utcnow
from parley.jobs.queue import enqueue
from parley.ops import health
from parley.ops.metrics import Metrics
from parley.runtime import Runtime


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_readiness_is_checked_once_per_window_and_a_failure_shows_after_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = 0
    real = health.readiness

    async def counted(rt: Runtime) -> tuple[bool, dict[str, Any]]:
        nonlocal runs
        runs += 1
        return await real(rt)

    async def calm() -> bool:
        return False

    monkeypatch.setattr(health, "readiness", counted)
    clock = Clock()
    app = Starlette(routes=health.build_ops_routes(runtime, Metrics(), calm, clock=clock))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        first = await client.get("/health")
        async with runtime.db.transaction() as session:
            await enqueue(
                session, "send_mail", {"to": "x@example.org"}, run_at=utcnow() - timedelta(hours=1)
            )
        clock.now += health.READINESS_SECONDS - 0.1
        second = await client.get("/health/ready")
        assert (first.status_code, second.status_code, runs) == (200, 200, 1)
        clock.now += 0.2
        third = await client.get("/health")
        assert (third.status_code, runs) == (503, 2)
        assert third.json()["checks"]["queue"]["ok"] is False
        assert third.headers["Cache-Control"] == "no-store"
