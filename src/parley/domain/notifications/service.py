"""Writing notifications and read markers. Every service that tells someone something calls
`notify`; the rest is the recipient dismissing, clearing and marking them read."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.notifications.models import Marker, Notification
from parley.domain.relationships.queries import find_mute, is_blocked_either_way

TIMELINES = ("home", "notifications")


async def notify(
    session: AsyncSession,
    *,
    recipient_id: int,
    from_account_id: int,
    type: str,
    post_id: int | None = None,
) -> Notification | None:
    """Notify a local member, unless it is their own act, either blocks the other, or the
    recipient mutes the actor with notifications hidden. Returns None when nothing was sent."""
    if recipient_id == from_account_id:
        return None
    recipient = await session.get(Account, recipient_id)
    if recipient is None or recipient.domain is not None:
        return None
    if await is_blocked_either_way(session, recipient_id, from_account_id):
        return None
    mute = await find_mute(session, recipient_id, from_account_id)
    if mute is not None and mute.hide_notifications:
        return None
    return await add_notification(
        session,
        recipient_id=recipient_id,
        from_account_id=from_account_id,
        type=type,
        post_id=post_id,
    )


async def add_notification(
    session: AsyncSession,
    *,
    recipient_id: int,
    from_account_id: int,
    type: str,
    post_id: int | None = None,
    strike_id: int | None = None,
) -> Notification:
    """Write a notification row, unconditionally, and record it (streaming listens).

    The one way a notification is stored; `notify` decides first whether to send one, and the
    few notifications about one's own things (a poll ended, a moderation warning) come here.
    """
    notification = Notification(
        account_id=recipient_id,
        from_account_id=from_account_id,
        type=type,
        post_id=post_id,
        strike_id=strike_id,
    )
    session.add(notification)
    await session.flush()
    await record(session, Event.NOTIFICATION_CREATED, notification_id=notification.id)
    return notification


async def withdraw_notifications(
    session: AsyncSession, *, recipient_id: int, from_account_id: int, types: list[str]
) -> None:
    """Delete notifications whose cause is gone (a withdrawn follow, an answered request)."""
    await session.execute(
        delete(Notification).where(
            Notification.account_id == recipient_id,
            Notification.from_account_id == from_account_id,
            Notification.type.in_(types),
        )
    )


async def dismiss_notification(
    session: AsyncSession, *, account_id: int, notification_id: int
) -> None:
    """Delete one of the account's notifications (NotFound if it is not theirs)."""
    result = await session.execute(
        delete(Notification).where(
            Notification.id == notification_id, Notification.account_id == account_id
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("Record not found")


async def clear_notifications(session: AsyncSession, *, account_id: int) -> None:
    await session.execute(delete(Notification).where(Notification.account_id == account_id))


async def set_marker(
    session: AsyncSession, *, account_id: int, timeline: str, last_read_id: int
) -> Marker:
    """Record the last item read in "home" or "notifications" (Mastodon's markers API).

    `version` starts at 0 and goes up by one each time the position changes, so clients can
    tell whether another device moved it.
    """
    if timeline not in TIMELINES:
        raise Invalid("timeline", f"timeline must be one of {', '.join(TIMELINES)}")
    if last_read_id < 0:
        raise Invalid("last_read_id", "last_read_id must be an ID")
    marker = await session.get(
        Marker, (account_id, timeline), with_for_update=True, populate_existing=True
    )
    if marker is None:
        marker = Marker(account_id=account_id, timeline=timeline, last_read_id=last_read_id)
        marker.version = 0
        session.add(marker)
    elif marker.last_read_id != last_read_id:
        marker.last_read_id = last_read_id
        marker.version += 1
        marker.updated_at = utcnow()
    try:
        await session.flush()
    except IntegrityError as exc:  # another device created it at the same moment
        raise Conflict("The marker changed meanwhile; read it again") from exc
    return marker


async def mark_notifications_read(
    session: AsyncSession, *, account_id: int, up_to_id: int | None = None
) -> Marker:
    """Move the notifications marker to `up_to_id` (None: the newest notification).

    Never moves it backwards: reading an older page on one device keeps what another read.
    """
    if up_to_id is None:
        newest = await session.scalar(
            select(func.max(Notification.id)).where(Notification.account_id == account_id)
        )
        up_to_id = int(newest or 0)
    current = await session.get(Marker, (account_id, "notifications"))
    if current is not None:
        up_to_id = max(up_to_id, current.last_read_id)
    return await set_marker(
        session, account_id=account_id, timeline="notifications", last_read_id=up_to_id
    )
