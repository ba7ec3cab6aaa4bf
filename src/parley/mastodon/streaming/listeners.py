"""The streaming adapter's domain-event listeners, for the composition root to register.

Each listener gets an event's payload (parley.domain.events) after the change committed and
publishes what the streams should show. Notifications have no event of their own yet, so
until `notify` records `notification.created`, the listeners of the events that cause
notifications find the rows they caused (`caused_notifications`); with
`notification_events=True` that guesswork is off and `notification.created` is used instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts.models import Post, Visibility
from parley.domain.relationships.models import Follow
from parley.mastodon import filtering, grants
from parley.mastodon.streaming import channels as ch
from parley.mastodon.streaming.fanout import STATUS_UPDATE, Fanout
from parley.mastodon.streaming.wiring import broker_of
from parley.runtime import Runtime

Listener = Callable[[dict[str, Any]], Awaitable[None]]
NOTIFICATION_CREATED = "notification.created"  # notification_id (to be recorded by notify)


async def caused_notifications(
    session: AsyncSession, event: str, payload: dict[str, Any]
) -> list[int]:
    """The notifications that the service behind `event` wrote in the same transaction."""
    wanted: list[ColumnElement[bool]]
    newest_only = False
    if event in ("post.created", "post.edited"):
        post = await session.get(Post, int(payload["post_id"]))
        if post is None:
            return []
        wanted = [Notification.post_id == post.id]
        if event == "post.created":
            wanted.append(
                Notification.type.in_(
                    (NotificationType.MENTION, NotificationType.COMMENT, NotificationType.QUOTE)
                )
            )
            if post.edited_at is not None:  # later mentions belong to the edit's event
                wanted.append(Notification.created_at <= post.edited_at)
        else:
            if post.edited_at is None:
                return []
            wanted += [
                Notification.type.in_((NotificationType.POST_EDITED, NotificationType.MENTION)),
                Notification.created_at >= post.edited_at,
            ]
    elif event == "echo.created":
        echo = await session.get(Post, int(payload["post_id"]))
        if echo is None or echo.echo_of_id is None:
            return []
        wanted = [
            Notification.type == NotificationType.ECHO,
            Notification.from_account_id == echo.account_id,
            Notification.post_id == echo.echo_of_id,
        ]
        newest_only = True
    elif event == "upvote.created":
        wanted = [
            Notification.type == NotificationType.UPVOTE,
            Notification.from_account_id == int(payload["account_id"]),
            Notification.post_id == int(payload["post_id"]),
        ]
        newest_only = True
    elif event in ("follow.requested", "follow.accepted"):
        follower, target = int(payload["account_id"]), int(payload["target_id"])
        wanted = [Notification.account_id == target, Notification.from_account_id == follower]
        if event == "follow.requested":
            wanted.append(Notification.type == NotificationType.FOLLOW_REQUEST)
        else:
            # A follow notification comes with a direct follow, not an accepted request:
            # only one written with the current follow counts.
            since: datetime | None = await session.scalar(
                select(Follow.created_at).where(
                    Follow.account_id == follower, Follow.target_id == target
                )
            )
            if since is None:
                return []
            wanted += [
                Notification.type == NotificationType.FOLLOW,
                Notification.created_at >= since,
            ]
        newest_only = True
    else:
        return []
    stmt = select(Notification.id).where(*wanted).order_by(Notification.id.desc())
    if newest_only:
        stmt = stmt.limit(1)
    return list(reversed((await session.scalars(stmt)).all()))


def build_stream_listeners(
    runtime: Runtime, *, notification_events: bool = False
) -> dict[str, Listener]:
    """Listeners by event name (`post.created`, ...), each taking the event's payload."""
    # Every process running these (web, a separate worker) announces the commits that end
    # tokens or change filters, so that web processes forget what they remembered at once.
    for watch in (grants.WATCH, filtering.WATCH):
        watch.announce_on(runtime.broker, runtime.db.engine.sync_engine)
    fanout = Fanout(runtime.db, runtime.settings.base_url, lambda: broker_of(runtime))

    async def notify_for(event: str, payload: dict[str, Any]) -> None:
        if notification_events:
            return
        async with runtime.db.reader() as session:
            found = await caused_notifications(session, event, payload)
        await fanout.notifications(found)

    def post_event(event: str, stream_event: str = "update") -> Listener:
        async def listener(payload: dict[str, Any]) -> None:
            await fanout.post(int(payload["post_id"]), event=stream_event)
            await notify_for(event, payload)

        return listener

    def notifying(event: str) -> Listener:
        async def listener(payload: dict[str, Any]) -> None:
            await notify_for(event, payload)

        return listener

    async def post_deleted(payload: dict[str, Any]) -> None:
        await fanout.deleted(
            int(payload["post_id"]),
            author_id=int(payload["account_id"]),
            visibility=str(payload["visibility"]),
            mentioned_ids=[int(i) for i in payload.get("mentioned_ids", [])],
        )

    async def echo_deleted(payload: dict[str, Any]) -> None:
        # Needs the echo's id, which the event carries only once echoes.py records it.
        if "post_id" in payload:
            await fanout.deleted(
                int(payload["post_id"]),
                author_id=int(payload["account_id"]),
                visibility=Visibility.UNLISTED,  # echoes are never on public streams
            )

    async def blocks_changed(payload: dict[str, Any]) -> None:
        await fanout.filters_changed(int(payload["account_id"]), int(payload["target_id"]))

    async def own_filters_changed(payload: dict[str, Any]) -> None:
        """Mastodon's `filters_changed` on the member's user stream, so apps reload filters."""
        account_id = int(payload["account_id"])
        broker = broker_of(runtime)
        if broker is not None:
            # Mastodon sends no payload; its event streams write `data: undefined`.
            await broker.publish(ch.user(account_id), ch.envelope("filters_changed", "undefined"))
        # And the member's open connections reload the filters they apply to public streams.
        await fanout.filters_changed(account_id)

    async def notification_created(payload: dict[str, Any]) -> None:
        await fanout.notifications([int(payload["notification_id"])])

    listeners: dict[str, Listener] = {
        "post.created": post_event("post.created"),
        "post.edited": post_event("post.edited", STATUS_UPDATE),
        "post.deleted": post_deleted,
        "echo.created": post_event("echo.created"),
        "echo.deleted": echo_deleted,
        "upvote.created": notifying("upvote.created"),
        "follow.requested": notifying("follow.requested"),
        "follow.accepted": notifying("follow.accepted"),
        "block.created": blocks_changed,
        "block.deleted": blocks_changed,
        "filters.changed": own_filters_changed,
    }
    if notification_events:
        listeners[NOTIFICATION_CREATED] = notification_created
    return listeners
