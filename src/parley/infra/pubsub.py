"""Publish/subscribe between processes: how the streaming API hears what the worker did.

Two brokers behind one protocol:
- `MemoryBroker` for the default embedded mode, where web and worker share one process and
  one event loop;
- `RedisBroker` when PARLEY_REDIS_URL is set, so any number of web processes share streams.
  Each process holds one Redis subscription for all its clients and fans messages out
  locally, as Mastodon's streaming server does, so Redis connections grow with processes,
  not with clients.

Delivery is at most once and never blocks the publisher: each subscriber has a bounded
queue, and one that falls behind is dropped (its iteration raises `Overflow`) rather than
buffered without limit. A dropped client reconnects and reloads, which it does anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from parley.config import Settings

log = logging.getLogger(__name__)

QUEUE_LIMIT = 512  # messages waiting for one subscriber before it is dropped
Hook = Callable[[str], Awaitable[None]]


class Overflow(Exception):
    """The subscriber fell too far behind and was dropped."""


class Subscription:
    """Messages `(channel, bytes)` for a changing set of channels, as an async iterator.

    Use as `async with broker.subscribe(channels) as sub: async for channel, message in sub`.
    """

    def __init__(self, hub: LocalHub, limit: int = QUEUE_LIMIT) -> None:
        self._hub = hub
        self._limit = limit
        self._pending: deque[tuple[str, bytes]] = deque()
        self._ready = asyncio.Event()
        self._dropped = False
        self._closed = False
        self.channels: set[str] = set()

    async def add(self, channels: Iterable[str]) -> None:
        for channel in set(channels) - self.channels:
            self.channels.add(channel)
            await self._hub.attach(channel, self)

    async def remove(self, channels: Iterable[str]) -> None:
        for channel in set(channels) & self.channels:
            self.channels.discard(channel)
            await self._hub.detach(channel, self)

    async def close(self) -> None:
        self._closed = True
        self._ready.set()
        await self.remove(list(self.channels))

    def offer(self, channel: str, message: bytes) -> None:
        """Queue a message without waiting; past the limit the subscriber is dropped."""
        if self._dropped or self._closed:
            return
        if len(self._pending) >= self._limit:
            self._dropped = True
            self._pending.clear()
        else:
            self._pending.append((channel, message))
        self._ready.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[str, bytes]:
        while not self._pending:
            if self._dropped:
                raise Overflow
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._pending.popleft()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


class LocalHub:
    """This process's subscribers by channel; hooks run when a channel gains or loses its last."""

    def __init__(self, on_first: Hook | None = None, on_last: Hook | None = None) -> None:
        self.subscribers: dict[str, set[Subscription]] = {}
        self._on_first = on_first
        self._on_last = on_last

    async def attach(self, channel: str, sub: Subscription) -> None:
        subs = self.subscribers.setdefault(channel, set())
        subs.add(sub)
        if len(subs) == 1 and self._on_first is not None:
            await self._on_first(channel)

    async def detach(self, channel: str, sub: Subscription) -> None:
        subs = self.subscribers.get(channel)
        if subs is None or sub not in subs:
            return
        subs.discard(sub)
        if not subs:
            del self.subscribers[channel]
            if self._on_last is not None:
                await self._on_last(channel)

    def deliver(self, channel: str, message: bytes) -> None:
        for sub in list(self.subscribers.get(channel, ())):
            sub.offer(channel, message)


class Broker(Protocol):
    async def publish(self, channel: str, message: bytes) -> None: ...

    async def subscribe(self, channels: Iterable[str] = ()) -> Subscription: ...

    async def listening(self, channels: Sequence[str]) -> set[str]:
        """Those of `channels` that someone, somewhere, subscribes to (to skip useless work)."""
        ...

    async def close(self) -> None: ...


class MemoryBroker:
    """One process, one event loop: the embedded mode's broker."""

    def __init__(self, *, queue_limit: int = QUEUE_LIMIT) -> None:
        self.hub = LocalHub()
        self.queue_limit = queue_limit

    async def publish(self, channel: str, message: bytes) -> None:
        self.hub.deliver(channel, message)

    async def subscribe(self, channels: Iterable[str] = ()) -> Subscription:
        sub = Subscription(self.hub, self.queue_limit)
        await sub.add(channels)
        return sub

    async def listening(self, channels: Sequence[str]) -> set[str]:
        return {c for c in channels if c in self.hub.subscribers}

    async def close(self) -> None:
        return None


class RedisBroker:
    """Redis PUBLISH / SUBSCRIBE, one subscribing connection per process."""

    NUMSUB_BATCH = 500

    def __init__(self, url: str, *, prefix: str = "parley:", queue_limit: int = QUEUE_LIMIT):
        self.prefix = prefix
        self.queue_limit = queue_limit
        self.redis = aioredis.from_url(url)
        self.hub = LocalHub(on_first=self._redis_subscribe, on_last=self._redis_unsubscribe)
        self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    async def publish(self, channel: str, message: bytes) -> None:
        await self.redis.publish(self.prefix + channel, message)

    async def subscribe(self, channels: Iterable[str] = ()) -> Subscription:
        sub = Subscription(self.hub, self.queue_limit)
        await sub.add(channels)
        return sub

    async def listening(self, channels: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(channels), self.NUMSUB_BATCH):
            batch = [self.prefix + c for c in channels[start : start + self.NUMSUB_BATCH]]
            for name, count in await self.redis.pubsub_numsub(*batch):
                if count:
                    found.add(_text(name)[len(self.prefix) :])
        return found

    async def _redis_subscribe(self, channel: str) -> None:
        async with self._lock:
            await self._pubsub.subscribe(self.prefix + channel)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="parley-pubsub-reader")

    async def _redis_unsubscribe(self, channel: str) -> None:
        async with self._lock:
            await self._pubsub.unsubscribe(self.prefix + channel)

    async def _read(self) -> None:
        delay = 0.5
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                delay = 0.5
            except RedisError as exc:
                # redis-py reconnects and subscribes again on the next read.
                log.warning("Redis subscription lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = _text(message["channel"])
            if channel.startswith(self.prefix):
                self.hub.deliver(channel[len(self.prefix) :], message["data"])

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def build_broker(settings: Settings) -> Broker:
    """Redis when PARLEY_REDIS_URL is set (many processes), else in-process memory."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url)
    return MemoryBroker()
