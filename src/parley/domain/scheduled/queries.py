"""Reading a member's scheduled posts; someone else's is NotFound."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.errors import NotFound
from parley.domain.pagination import PageRequest
from parley.domain.scheduled.models import ScheduledPost


async def get_scheduled_post(
    session: AsyncSession, account_id: int, scheduled_id: int
) -> ScheduledPost:
    row = await session.get(ScheduledPost, scheduled_id)
    if row is None or row.account_id != account_id:
        raise NotFound("Record not found")
    return row


async def list_scheduled_posts(
    session: AsyncSession, account_id: int, page: PageRequest
) -> list[ScheduledPost]:
    stmt = select(ScheduledPost).where(ScheduledPost.account_id == account_id)
    rows = list(await session.scalars(page.apply(stmt, ScheduledPost.id)))
    return page.newest_first(rows)
