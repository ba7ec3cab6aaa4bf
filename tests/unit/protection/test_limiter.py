"""The limiter: counts in memory, shares counts through Redis, fails open without Redis."""

from __future__ import annotations

import pytest

from parley.config import Settings
from parley.infra.ratelimit import Limit, Limits, RateLimiter
from tests.integration.streaming.conftest import redis_server  # noqa: F401 (a fixture)

LIMITS = Limits.from_settings(Settings())
THREE = Limit("test", 3, 60)


async def test_memory_counts_per_key_and_reports_the_window() -> None:
    limiter = RateLimiter(LIMITS)
    verdicts = [await limiter.hit(THREE, "a") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert (await limiter.hit(THREE, "b")).allowed
    peek = await limiter.peek(THREE, "a")
    assert not peek.allowed
    await limiter.clear(THREE, "a")
    assert (await limiter.peek(THREE, "a")).allowed


async def test_redis_shares_counts_between_processes(redis_server: str) -> None:  # noqa: F811
    first, second = RateLimiter(LIMITS, redis_server), RateLimiter(LIMITS, redis_server)
    try:
        await first.clear(THREE, "shared")
        for _ in range(3):
            assert (await first.hit(THREE, "shared")).allowed
        assert not (await second.hit(THREE, "shared")).allowed
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(LIMITS, "redis://127.0.0.1:9/0")
    try:
        verdict = await limiter.hit(THREE, "x")
    finally:
        await limiter.close()
    assert verdict.allowed
    assert "rate-limit store unavailable" in caplog.text
