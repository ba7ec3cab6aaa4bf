"""One client's streams: what it subscribed to, and the messages it should get.

Messages for a member's own channels were rendered and filtered for them when published.
Public streams carry posts rendered once for everyone, so each connection drops those that
involve accounts it blocks, is blocked by or mutes, and applies its member's keyword filters
for the "public" context: a "hide" match drops the post, a "warn" match adds `filtered` to the
status, as the REST timelines do. Both are cached per connection: reloaded when a block or a
filter changes (the `control:<account>` channel) and at most every `FILTER_TTL` seconds
otherwise (mutes have no event).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import anyio
import orjson

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.domain.filters.matching import ActiveFilter, hides, match_filters
from parley.domain.filters.queries import active_filters
from parley.domain.relationships.queries import excluded_account_ids
from parley.infra.pubsub import Broker, Subscription
from parley.mastodon.filtering import filter_results
from parley.mastodon.streaming import channels as ch
from parley.mastodon.streaming.channels import Stream, StreamError

FILTER_TTL = 30.0
PUBLIC_CONTEXT = "public"  # the filter context of public and hashtag streams
MAX_STREAMS = 100  # per connection: hashtags are unbounded, a connection's memory is not


@dataclass(frozen=True, slots=True)
class Event:
    stream: list[str]
    event: str
    payload: str

    def websocket_text(self) -> str:
        return orjson.dumps(
            {"stream": self.stream, "event": self.event, "payload": self.payload}
        ).decode()

    def sse_text(self) -> str:
        return f"event: {self.event}\ndata: {self.payload}\n\n"


class Connection:
    def __init__(self, db: Database, account_id: int, broker: Broker) -> None:
        self.db = db
        self.account_id = account_id
        self.broker = broker
        self.subscription: Subscription | None = None
        self.streams: dict[tuple[str, ...], Stream] = {}
        self._excluded: frozenset[int] = frozenset()
        self._filters: list[ActiveFilter] = []
        self._loaded_at: float | None = None

    async def start(self) -> None:
        self.subscription = await self.broker.subscribe([ch.control(self.account_id)])

    async def close(self) -> None:
        if self.subscription is not None:
            await self.subscription.close()

    def _subscribed(self) -> Subscription:
        if self.subscription is None:
            raise RuntimeError("Connection.start() first")
        return self.subscription

    async def add(self, stream: Stream) -> None:
        if stream.key not in self.streams and len(self.streams) >= MAX_STREAMS:
            raise StreamError(400, "Too many streams on one connection")
        self.streams[stream.key] = stream
        await self._subscribed().add(stream.channels)

    async def remove(self, key: tuple[str, ...]) -> None:
        gone = self.streams.pop(key, None)
        if gone is None:
            return
        still = {c for s in self.streams.values() for c in s.channels}
        await self._subscribed().remove(set(gone.channels) - still)

    async def receive(self, max_wait: float | None = None) -> list[Event] | None:
        """The events of the next message (maybe none, after filtering); None if `max_wait`
        seconds passed first. Only the wait is bounded, so no message is lost to it.

        Raises `Overflow` when the client fell too far behind.
        """
        item: tuple[str, bytes] | None = None
        with anyio.move_on_after(max_wait):
            item = await anext(self._subscribed())
        return None if item is None else await self._events(*item)

    async def _events(self, channel: str, raw: bytes) -> list[Event]:
        if channel == ch.control(self.account_id):
            self._loaded_at = None
            return []
        message = orjson.loads(raw)
        events = []
        # A public message is checked against this member's blocks, mutes and filters once,
        # whichever of the connection's streams it arrived for.
        checked = False
        public_payload: str | None = None  # None: this member does not get it
        for stream in list(self.streams.values()):
            if channel not in stream.channels:
                continue
            payload: str | None = message["payload"]
            if stream.filtered:
                if not checked:
                    public_payload = await self._for_member(message)
                    checked = True
                payload = public_payload
            if payload is not None:
                events.append(Event(list(stream.key), message["event"], payload))
        return events

    async def _for_member(self, message: dict[str, Any]) -> str | None:
        await self._refresh()
        if any(a in self._excluded for a in message.get("accounts") or []):
            return None
        return self._apply_filters(message)

    def _apply_filters(self, message: dict[str, Any]) -> str | None:
        """The payload with this member's "public" filters applied; None if one hides it."""
        payload: str = message["payload"]
        subject = message.get("match")
        filters = [f for f in self._filters if PUBLIC_CONTEXT in f.context]
        if subject is None or not filters:
            return payload
        matches = match_filters(
            filters,
            post_ids=subject["post_ids"],
            words=subject["words"],
            context=PUBLIC_CONTEXT,
            now=utcnow(),
        )
        if hides(matches):
            return None
        status = orjson.loads(payload)
        status["filtered"] = filter_results(matches)
        return orjson.dumps(status).decode()

    async def _refresh(self) -> None:
        now = time.monotonic()
        if self._loaded_at is None or now - self._loaded_at > FILTER_TTL:
            async with self.db.reader() as session:
                rows = await session.scalars(excluded_account_ids(self.account_id))
                # Typed as rows of tuples (the SQLAlchemy 2.0 spelling); they are ids.
                self._excluded = frozenset(cast(Sequence[int], rows.all()))
                self._filters = await active_filters(session, self.account_id)
            self._loaded_at = now
