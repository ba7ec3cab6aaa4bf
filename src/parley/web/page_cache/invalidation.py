"""From domain events (and other processes' drops) to the pages they change.

The listeners run where the worker runs. They apply the event to this process's pages and,
when processes share a Redis broker, publish it so every web process applies it to its own.
What an event changes is worked out by the process holding the pages, and only when it holds
some: most events cost nothing where nobody's page is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.engine import Database
from parley.domain.accounts.models import Account
from parley.domain.notifications.models import Notification
from parley.domain.posts.models import Poll, Post
from parley.domain.timelines.models import FeedEntry
from parley.infra.pubsub import Broker, MemoryBroker, Overflow
from parley.web.page_cache.store import PageStore

log = logging.getLogger(__name__)

CHANNEL = "page_cache"
RETRY_SECONDS = 1.0  # before subscribing again after the broker failed
Listener = Callable[[dict[str, Any]], Awaitable[None]]

NEW_ENTRY = ("post.created", "echo.created")
TWO_MEMBERS = (
    "follow.requested",
    "follow.accepted",
    "follow.rejected",
    "follow.undone",
    "block.created",
    "block.deleted",
)
# Every event whose change can show on a kept page (see `_apply`).
EVENTS = (
    *NEW_ENTRY,
    "post.edited",
    "post.deleted",
    "echo.deleted",
    "upvote.created",
    "upvote.deleted",
    "poll.voted",
    *TWO_MEMBERS,
    "account.updated",
    "account.deleted",
    "account.moved",
    "notification.created",
    "filters.changed",
    "account.role_changed",
    "account.signed_out",
)


@dataclass(slots=True)
class Drops:
    everyone: bool = False
    members: set[int] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)


@dataclass(slots=True)
class PageInvalidation:
    store: PageStore
    db: Database
    broker: Broker

    @property
    def shared(self) -> bool:
        """Other processes hold pages too (a Redis broker) and must hear of changes."""
        return not isinstance(self.broker, MemoryBroker)

    def listeners(self) -> dict[str, Listener]:
        """For the composition root: one listener per event that can change a page."""

        def listener(event: str) -> Listener:
            async def on_event(payload: dict[str, Any]) -> None:
                await self.publish({"event": event, **payload})

            return on_event

        return {event: listener(event) for event in EVENTS}

    async def publish(self, message: dict[str, Any]) -> None:
        """Apply `message` here and, when pages live in other processes, there too."""
        await self.apply(message)
        await self.tell_others(message)

    async def tell_others(self, message: dict[str, Any]) -> None:
        """Publish to the other processes; never raises (their pages then live out their time)."""
        if not self.shared:
            return
        try:
            await self.broker.publish(CHANNEL, orjson.dumps(message))
        except (RedisError, OSError):
            log.warning("page cache: could not tell the other processes", exc_info=True)

    async def apply(self, message: dict[str, Any]) -> None:
        """Drop the pages `message` changes. Never raises: a page then lives out its time."""
        self.store.invalidated()  # before looking: a render finishing meanwhile is not kept
        if not len(self.store):
            return
        try:
            drops = await self._drops(message)
        except Exception:
            log.warning("page cache: dropping every page after a failed lookup", exc_info=True)
            drops = Drops(everyone=True)
        if drops.everyone:
            self.store.clear()
            return
        self.store.drop_members(drops.members)
        self.store.drop_posts(drops.posts)
        self.store.drop_accounts(drops.accounts)

    async def _drops(self, message: dict[str, Any]) -> Drops:
        if message.get("all"):
            return Drops(everyone=True)
        drops = Drops(members={int(i) for i in message.get("members", [])})
        event = message.get("event")
        if event is None:
            return drops
        if event == "account.deleted":
            return Drops(everyone=True)
        if event in TWO_MEMBERS:
            drops.members |= {int(message["account_id"]), int(message["target_id"])}
        elif event in ("post.edited", "post.deleted"):
            drops.posts.add(int(message["post_id"]))
        elif event in ("upvote.created", "upvote.deleted"):
            drops.posts.add(int(message["post_id"]))
            drops.members.add(int(message["account_id"]))
        elif event in ("filters.changed", "account.role_changed", "account.signed_out"):
            drops.members.add(int(message["account_id"]))
        else:
            async with self.db.reader() as session:
                await self._looked_up(session, event, message, drops)
        return drops

    async def _looked_up(
        self, session: AsyncSession, event: str, message: dict[str, Any], drops: Drops
    ) -> None:
        """The drops that need the database: who received a post, whose count changed."""
        if event in NEW_ENTRY:
            post = await session.get(Post, int(message["post_id"]))
            if post is None:
                return
            kept = self.store.members()
            received = await session.scalars(
                select(FeedEntry.account_id).where(
                    FeedEntry.post_id == post.id, FeedEntry.account_id.in_(kept)
                )
            )
            drops.members |= set(received) | {post.account_id}
            # The counts of the parley it answers, echoes or quotes.
            related = (post.in_reply_to_id, post.echo_of_id, post.quote_of_id)
            drops.posts |= {i for i in related if i is not None}
        elif event == "echo.deleted":
            drops.posts.add(int(message.get("post_id", 0)))
            original = message.get("original_uri")
            if original:
                found = await session.scalar(select(Post.id).where(Post.uri == original))
                drops.posts |= {found} if found is not None else set()
        elif event == "poll.voted":
            drops.members.add(int(message["account_id"]))
            found = await session.scalar(
                select(Poll.post_id).where(Poll.id == int(message["poll_id"]))
            )
            drops.posts |= {found} if found is not None else set()
        elif event in ("account.updated", "account.moved"):
            account = await session.get(Account, int(message["account_id"]))
            if account is not None:
                drops.members.add(account.id)
                drops.accounts.add(account.acct())
        elif event == "notification.created":
            recipient = await session.scalar(
                select(Notification.account_id).where(
                    Notification.id == int(message["notification_id"])
                )
            )
            drops.members |= {recipient} if recipient is not None else set()

    async def follow_others(self) -> None:
        """Apply what other processes publish, for as long as the app runs (Redis only)."""
        if not self.shared:
            return
        delay = RETRY_SECONDS
        while True:
            try:
                async with await self.broker.subscribe([CHANNEL]) as subscription:
                    delay = RETRY_SECONDS
                    async for _channel, raw in subscription:
                        await self.apply(_message(raw))
                return  # the broker closed the subscription: it is shutting down
            except Overflow:
                self.store.clear()  # messages were lost: nothing kept can be trusted
            except Exception as exc:  # RedisError, OSError...: never fail the app's task group
                self.store.clear()  # and what is published meanwhile is missed
                log.warning("page cache: subscription failed (%r); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)


def _message(raw: bytes) -> dict[str, Any]:
    """A published message; one that cannot be read drops every page (it meant something)."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        message = None
    return message if isinstance(message, dict) else {"all": True}
