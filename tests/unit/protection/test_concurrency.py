"""One address may have only so many anonymous requests in flight; the rest get 429 at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from parley.config import Settings
from parley.edge import ratelimit
from parley.edge.attack import AttackState
from parley.edge.guard import Guard
from parley.edge.members import MemberCache
from parley.edge.ratelimit import RateLimitMiddleware
from parley.infra.ratelimit import RateLimiter
from parley.ops.metrics import Metrics


def build(settings: Settings, app: Any) -> RateLimitMiddleware:
    guard = Guard(
        settings=settings,
        limiter=RateLimiter.from_settings(settings),
        members=MemberCache(None),  # type: ignore[arg-type]  # anonymous requests only
        attack=AttackState(settings, None),  # type: ignore[arg-type]
        metrics=Metrics(),
    )
    return RateLimitMiddleware(app, guard)


class SlowPage:
    """An app whose pages wait for `release`; `arrived` hears each one start."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.arrived: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.arrived.put_nowait(None)
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})


async def test_anonymous_requests_in_flight_are_capped_per_address() -> None:
    slow_page = SlowPage()
    release, arrived = slow_page.release, slow_page.arrived
    edge = build(Settings(anonymous_concurrency_per_ip=2, ratelimit_delay_ms=0), slow_page)

    def client(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=edge, client=(ip, 1))
        return httpx.AsyncClient(transport=transport, base_url="http://parley.test")

    flood, other = client("203.0.113.9"), client("203.0.113.10")
    running = [asyncio.create_task(flood.get("/local")) for _ in range(2)]
    for _ in range(2):
        await asyncio.wait_for(arrived.get(), 5)
    refused = await flood.get("/local")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    api = await flood.get("/api/v1/timelines/public")
    assert api.status_code == 429
    assert api.json() == {"error": "Too many requests"}
    # Another address is not affected, and the slots free up when the pages are done.
    third = asyncio.create_task(other.get("/local"))
    await asyncio.wait_for(arrived.get(), 5)
    release.set()
    assert [r.status_code for r in await asyncio.gather(*running, third)] == [200, 200, 200]
    assert (await flood.get("/local")).status_code == 200
    assert edge.in_flight == {}
    for c in (flood, other):
        await c.aclose()


async def test_federation_headers_on_a_page_do_not_escape_the_cap() -> None:
    """A Signature or an AS2 Accept exempts only addresses servers fetch (actors, posts,
    inboxes); on /local it is just a page, counted like any other."""
    slow = SlowPage()
    release, arrived = slow.release, slow.arrived
    edge = build(Settings(anonymous_concurrency_per_ip=1, ratelimit_delay_ms=0), slow)
    transport = httpx.ASGITransport(app=edge, client=("203.0.113.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as flood:
        running = asyncio.create_task(flood.get("/local"))
        await asyncio.wait_for(arrived.get(), 5)
        for headers in (
            {"Signature": 'keyId="x"'},
            {"Accept": "application/activity+json"},
        ):
            # Not capped, it would wait on the slow page: the timeout makes that a failure.
            refused = await asyncio.wait_for(flood.get("/local", headers=headers), 5)
            assert refused.status_code == 429, headers
        fetch = asyncio.create_task(
            flood.get("/users/alice", headers={"Accept": "application/activity+json"})
        )
        await asyncio.wait_for(arrived.get(), 5)  # a server's fetch is not capped
        release.set()
        assert [r.status_code for r in await asyncio.gather(running, fetch)] == [200, 200]


async def test_refusals_wait_in_the_tarpit_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    async def page(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    edge = build(Settings(limit_per_ip="1/minute", ratelimit_delay_ms=300), page)
    transport = httpx.ASGITransport(app=edge, client=("203.0.113.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        started = time.perf_counter()
        assert (await client.get("/about")).status_code == 200
        assert time.perf_counter() - started < 0.3  # allowed requests never wait
        started = time.perf_counter()
        assert (await client.get("/about")).status_code == 429
        assert time.perf_counter() - started >= 0.3
        # Past the bound, refusals are answered at once (no unbounded pile of waiting tasks).
        monkeypatch.setattr(ratelimit, "TARPIT_PER_ADDRESS", 1)
        started = time.perf_counter()
        answers = await asyncio.gather(client.get("/about"), client.get("/about"))
        assert [a.status_code for a in answers] == [429, 429]
        assert edge.waiting == {}
    assert time.perf_counter() - started >= 0.3
