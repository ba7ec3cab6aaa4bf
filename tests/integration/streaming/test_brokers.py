"""The brokers on their own: delivery, who listens, and dropping subscribers that lag."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from parley.infra.pubsub import Broker, MemoryBroker, Overflow, RedisBroker


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    made: Broker
    if request.param == "memory":
        made = MemoryBroker(queue_limit=3)
    else:
        url: str = request.getfixturevalue("redis_server")
        made = RedisBroker(url, prefix=f"test-{id(request)}:", queue_limit=3)
    yield made
    await made.close()


async def _next(sub: AsyncIterator[tuple[str, bytes]]) -> tuple[str, bytes]:
    async with asyncio.timeout(5):
        return await anext(sub)


async def test_subscribers_get_their_channels_messages_in_order(broker: Broker) -> None:
    async with await broker.subscribe(["a", "b"]) as sub:
        assert await broker.listening(["a", "b", "c"]) == {"a", "b"}
        for channel, message in [("c", b"ignored"), ("a", b"1"), ("b", b"2")]:
            await broker.publish(channel, message)
        assert [await _next(sub), await _next(sub)] == [("a", b"1"), ("b", b"2")]
        await sub.remove(["a"])
        assert await broker.listening(["a", "b"]) == {"b"}
    assert await broker.listening(["a", "b"]) == set()


async def test_a_subscriber_that_falls_behind_is_dropped_not_buffered(broker: Broker) -> None:
    async with await broker.subscribe(["slow"]) as slow, await broker.subscribe(["slow"]) as fast:
        for n in range(3):
            await broker.publish("slow", str(n).encode())
            assert await _next(fast) == ("slow", str(n).encode())
        await broker.publish("slow", b"3")  # the fourth unread message: past the limit
        assert await _next(fast) == ("slow", b"3")
        with pytest.raises(Overflow):
            await _next(slow)


async def test_redis_brokers_in_two_processes_share_channels(redis_server: str) -> None:
    one, other = RedisBroker(redis_server), RedisBroker(redis_server)
    try:
        async with await other.subscribe(["timeline:1"]) as sub:
            # `one` has no subscriber of its own, yet sees the other process's.
            assert await one.listening(["timeline:1", "timeline:2"]) == {"timeline:1"}
            await one.publish("timeline:1", b"hello")
            assert await _next(sub) == ("timeline:1", b"hello")
    finally:
        await one.close()
        await other.close()
