"""Polls: their rules, voting, and telling voters and the author when a poll has ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.instance.service import InstanceInfo
from parley.domain.notifications.models import NotificationType
from parley.domain.notifications.service import add_notification, notify
from parley.domain.posts.models import Poll, PollVote, Post
from parley.domain.posts.visibility import can_see
from parley.jobs.queue import enqueue

CLOSE_POLL_JOB = "close_poll"


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A poll as asked for: its options, how long it runs, whether several choices are allowed."""

    options: list[str]
    expires_in: int  # seconds
    multiple: bool = False
    hide_totals: bool = False


def check_poll_options(options: list[str], info: InstanceInfo) -> list[str]:
    """The options, stripped, if the instance's limits allow them; otherwise Invalid."""
    cleaned = [option.strip() for option in options]
    if not 2 <= len(cleaned) <= info.max_poll_options:
        raise Invalid("poll", f"A poll needs between 2 and {info.max_poll_options} options")
    for option in cleaned:
        if not 1 <= len(option) <= info.max_poll_option_chars:
            raise Invalid(
                "poll",
                f"Each poll option needs between 1 and {info.max_poll_option_chars} characters",
            )
    if len({option.lower() for option in cleaned}) != len(cleaned):
        raise Invalid("poll", "Poll options must be different from each other")
    return cleaned


def check_poll(spec: PollSpec, info: InstanceInfo) -> PollSpec:
    options = check_poll_options(spec.options, info)
    low, high = info.min_poll_expiry_seconds, info.max_poll_expiry_seconds
    if not low <= spec.expires_in <= high:
        raise Invalid("poll", f"A poll must run between {low} and {high} seconds")
    return PollSpec(options, spec.expires_in, spec.multiple, spec.hide_totals)


async def add_poll(session: AsyncSession, *, post: Post, spec: PollSpec) -> Poll:
    """Attach a checked poll to a new post and schedule its closing."""
    expires_at = utcnow() + timedelta(seconds=spec.expires_in)
    poll = Poll(
        post_id=post.id,
        options=[{"title": title, "votes_count": 0} for title in spec.options],
        multiple=spec.multiple,
        hide_totals=spec.hide_totals,
        expires_at=expires_at,
    )
    session.add(poll)
    post.has_poll = True
    await session.flush()
    await enqueue(session, CLOSE_POLL_JOB, {"poll_id": poll.id}, run_at=expires_at)
    return poll


async def replace_poll_options(session: AsyncSession, *, poll: Poll, options: list[str]) -> None:
    """An edit changed the options: earlier votes no longer mean anything, so they go."""
    await session.execute(delete(PollVote).where(PollVote.poll_id == poll.id))
    poll.options = [{"title": title, "votes_count": 0} for title in options]
    poll.votes_count = 0
    poll.voters_count = 0


def poll_expired(poll: Poll) -> bool:
    return poll.expires_at is not None and poll.expires_at <= utcnow()


async def vote(session: AsyncSession, *, voter: Account, poll_id: int, choices: list[int]) -> Poll:
    """Vote once in a poll the voter may see; `choices` are option indexes."""
    poll = await session.get(Poll, poll_id)
    post = None if poll is None else await session.get(Post, poll.post_id)
    if poll is None or post is None or not await can_see(session, voter.id, post):
        raise NotFound("Record not found")
    if poll_expired(poll):
        raise Invalid(None, "The poll has already ended")
    already = await session.scalar(
        select(PollVote.id).where(PollVote.poll_id == poll.id, PollVote.account_id == voter.id)
    )
    if already is not None:
        raise Conflict("You have already voted on this poll")
    wanted = list(dict.fromkeys(choices))
    if not wanted:
        raise Invalid("choices", "Choose at least one option")
    if len(wanted) != len(choices):
        raise Invalid("choices", "Each option can be chosen only once")
    if len(wanted) > 1 and not poll.multiple:
        raise Invalid("choices", "This poll allows only one choice")
    if any(not 0 <= choice < len(poll.options) for choice in wanted):
        raise Invalid("choices", "That option does not exist")
    for choice in wanted:
        session.add(PollVote(poll_id=poll.id, account_id=voter.id, choice=choice))
    # A new list, so the JSON column is seen as changed.
    poll.options = [
        {**option, "votes_count": option["votes_count"] + (index in wanted)}
        for index, option in enumerate(poll.options)
    ]
    poll.votes_count += len(wanted)
    poll.voters_count += 1
    await session.flush()
    await record(session, Event.POLL_VOTED, account_id=voter.id, poll_id=poll.id, choices=wanted)
    return poll


async def own_choices(session: AsyncSession, *, poll_id: int, account_id: int) -> list[int]:
    rows = await session.scalars(
        select(PollVote.choice)
        .where(PollVote.poll_id == poll_id, PollVote.account_id == account_id)
        .order_by(PollVote.choice)
    )
    return list(rows)


async def close_poll(session: AsyncSession, *, poll_id: int) -> bool:
    """Tell the voters and the author that the poll ended, once; False if nothing to do."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.closed_notified_at is not None or poll.expires_at is None:
        return False
    if not poll_expired(poll):  # run early (clock skew): try again when it really ends
        await enqueue(session, CLOSE_POLL_JOB, {"poll_id": poll.id}, run_at=poll.expires_at)
        return False
    now = utcnow()
    # Claiming the poll with one conditional UPDATE makes a repeated job a no-op.
    claimed = await session.execute(
        update(Poll)
        .where(
            Poll.id == poll_id,
            Poll.closed_notified_at.is_(None),
            Poll.expires_at.is_not(None),
            Poll.expires_at <= now,
        )
        .values(closed_notified_at=now)
        .returning(Poll.post_id)
        .execution_options(synchronize_session=False)
    )
    post_id = claimed.scalar_one_or_none()
    if post_id is None:
        return False
    post = await session.get(Post, post_id)
    if post is None:
        return False
    voters = await session.scalars(
        select(PollVote.account_id).where(PollVote.poll_id == poll_id).distinct()
    )
    for voter_id in voters.all():
        await notify(
            session,
            recipient_id=voter_id,
            from_account_id=post.account_id,
            type=NotificationType.POLL_ENDED,
            post_id=post.id,
        )
    author = await session.get(Account, post.account_id)
    if author is not None and author.is_local:
        # notify() skips one's own acts; the author is told of their own poll, as Mastodon does.
        await add_notification(
            session,
            recipient_id=author.id,
            from_account_id=author.id,
            type=NotificationType.POLL_ENDED,
            post_id=post.id,
        )
    await session.flush()
    return True
