"""Scheduling posts: validated when scheduled, written by create_post when the job runs.

The job (PUBLISH_SCHEDULED_JOB) runs at `scheduled_at`. Rescheduling enqueues a new job; a
job that finds its post rescheduled to later, or deleted, does nothing. If the post can no
longer be written (the replied-to post is gone, say), the schedule is dropped, as Mastodon does.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.context import DomainContext
from parley.domain.errors import DomainError, Invalid
from parley.domain.posts.content import (
    check_author,
    check_not_moved,
    check_text,
    instance_limits,
)
from parley.domain.posts.models import Visibility
from parley.domain.posts.polls import PollSpec, check_poll
from parley.domain.posts.service import create_post
from parley.domain.scheduled.models import ScheduledPost
from parley.domain.scheduled.queries import get_scheduled_post
from parley.jobs.queue import enqueue

log = logging.getLogger(__name__)

PUBLISH_SCHEDULED_JOB = "publish_scheduled_post"
MIN_AHEAD = timedelta(minutes=5)
MAX_SCHEDULED = 300  # per member, as Mastodon
MAX_PER_DAY = 25  # per member and day, as Mastodon
TOO_SOON = "Scheduled at The scheduled date must be in the future"


@dataclass(frozen=True, slots=True)
class ScheduledParams:
    """What create_post will be called with (the author and application aside)."""

    text: str = ""
    spoiler_text: str = ""
    visibility: str | None = None
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    quote_of_id: int | None = None
    poll: dict[str, Any] | None = None  # PollSpec's fields
    application: str | None = None


async def _check(
    session: AsyncSession, ctx: DomainContext, author: Account, params: ScheduledParams
) -> None:
    """The checks create_post would make that do not depend on the moment of posting."""
    check_author(author)
    check_not_moved(author)
    info = await instance_limits(session, ctx)
    if params.poll is not None:
        check_poll(PollSpec(**params.poll), info)
    check_text(params.text.strip(), params.spoiler_text.strip(), info, has_poll=bool(params.poll))
    if params.visibility is not None and params.visibility not in Visibility.ALL:
        raise Invalid("visibility", f"Visibility must be one of {', '.join(Visibility.ALL)}")


async def _check_time(
    session: AsyncSession, account_id: int, at: datetime, *, ignore_id: int | None = None
) -> None:
    if at.tzinfo is None or at < utcnow() + MIN_AHEAD:
        raise Invalid("scheduled_at", TOO_SOON)
    others = select(ScheduledPost).where(ScheduledPost.account_id == account_id)
    if ignore_id is not None:
        others = others.where(ScheduledPost.id != ignore_id)
    sub = others.subquery()
    total = await session.scalar(select(func.count()).select_from(sub))
    if (total or 0) >= MAX_SCHEDULED:
        raise Invalid("scheduled_at", f"You can schedule at most {MAX_SCHEDULED} posts")
    same_day = await session.scalar(
        select(func.count())
        .select_from(sub)
        .where(
            sub.c.scheduled_at >= at.replace(hour=0, minute=0, second=0, microsecond=0),
            sub.c.scheduled_at
            < at.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1),
        )
    )
    if (same_day or 0) >= MAX_PER_DAY:
        raise Invalid("scheduled_at", f"You can schedule at most {MAX_PER_DAY} posts a day")


async def schedule_post(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    author: Account,
    scheduled_at: datetime,
    params: ScheduledParams,
) -> ScheduledPost:
    await _check_time(session, author.id, scheduled_at)
    await _check(session, ctx, author, params)
    row = ScheduledPost(account_id=author.id, scheduled_at=scheduled_at, params=asdict(params))
    session.add(row)
    await session.flush()
    await enqueue(session, PUBLISH_SCHEDULED_JOB, {"id": row.id}, run_at=scheduled_at)
    return row


async def reschedule_post(
    session: AsyncSession, *, account: Account, scheduled_id: int, scheduled_at: datetime
) -> ScheduledPost:
    row = await get_scheduled_post(session, account.id, scheduled_id)
    await _check_time(session, account.id, scheduled_at, ignore_id=row.id)
    row.scheduled_at = scheduled_at
    await enqueue(session, PUBLISH_SCHEDULED_JOB, {"id": row.id}, run_at=scheduled_at)
    return row


async def cancel_scheduled_post(
    session: AsyncSession, *, account: Account, scheduled_id: int
) -> None:
    row = await get_scheduled_post(session, account.id, scheduled_id)
    await session.delete(row)


async def publish_scheduled_post(
    session: AsyncSession, ctx: DomainContext, *, scheduled_id: int
) -> int | None:
    """Write the post if its time has come; returns the new post's id (None if nothing)."""
    row = await session.get(ScheduledPost, scheduled_id, with_for_update=True)
    if row is None or row.scheduled_at > utcnow():
        return None  # cancelled, or rescheduled: a later job will publish it
    author = await session.get(Account, row.account_id)
    await session.delete(row)
    if author is None:
        return None
    p = dict(row.params)
    poll = p.pop("poll", None)
    try:
        async with session.begin_nested():
            post = await create_post(
                session,
                ctx,
                author=author,
                poll=PollSpec(**poll) if poll else None,
                **p,
            )
    except DomainError as exc:
        log.info("scheduled post %s dropped: %s", scheduled_id, exc.message)
        return None
    return post.id
