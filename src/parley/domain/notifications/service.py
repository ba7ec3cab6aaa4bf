"""Creating notifications. Every service that should tell someone something calls `notify`."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.notifications.models import Notification
from parley.domain.relationships.models import Block, Mute


async def notify(
    session: AsyncSession,
    *,
    recipient_id: int,
    from_account_id: int,
    type: str,
    post_id: int | None = None,
) -> Notification | None:
    """Notify a local member, unless it is their own act or they block or mute the actor."""
    if recipient_id == from_account_id:
        return None
    recipient = await session.get(Account, recipient_id)
    if recipient is None or recipient.domain is not None:
        return None
    silenced = await session.scalar(
        select(Block.id)
        .where(
            or_(
                and_(Block.account_id == recipient_id, Block.target_id == from_account_id),
                and_(Block.account_id == from_account_id, Block.target_id == recipient_id),
            )
        )
        .limit(1)
    )
    if silenced is not None:
        return None
    mute = await session.scalar(
        select(Mute).where(Mute.account_id == recipient_id, Mute.target_id == from_account_id)
    )
    if (
        mute is not None
        and mute.hide_notifications
        and (mute.expires_at is None or mute.expires_at > utcnow())
    ):
        return None
    notification = Notification(
        account_id=recipient_id, from_account_id=from_account_id, type=type, post_id=post_id
    )
    session.add(notification)
    await session.flush()
    return notification
