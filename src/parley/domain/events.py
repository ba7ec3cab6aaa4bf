"""Domain events: what happened, recorded in the same transaction as the change itself.

Services call `record(session, Event.X, ...)`; the event becomes a durable job, so the
federation adapter (and later the streaming API) learn of it exactly when the change
commits, and never of a change that rolled back. The domain does not know who listens:
listeners are registered by the composition root (parley.jobs.handlers).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.jobs.queue import enqueue

JOB_PREFIX = "event."


class Event:
    POST_CREATED = "post.created"  # post_id
    POST_EDITED = "post.edited"  # post_id
    POST_DELETED = "post.deleted"  # post_id, account_id, uri, visibility, mentioned_ids
    ECHO_CREATED = "echo.created"  # post_id (the echo)
    ECHO_DELETED = "echo.deleted"  # post_id (the echo), account_id, uri, original_uri
    UPVOTE_CREATED = "upvote.created"  # account_id, post_id
    UPVOTE_DELETED = "upvote.deleted"  # account_id, post_id
    FOLLOW_REQUESTED = "follow.requested"  # account_id, target_id
    FOLLOW_ACCEPTED = "follow.accepted"  # account_id (follower), target_id
    FOLLOW_REJECTED = "follow.rejected"  # account_id (follower), target_id
    UNFOLLOWED = "follow.undone"  # account_id, target_id
    BLOCKED = "block.created"  # account_id, target_id
    UNBLOCKED = "block.deleted"  # account_id, target_id
    PROFILE_UPDATED = "account.updated"  # account_id
    ROLE_CHANGED = "account.role_changed"  # account_id (member, moderator, admin, owner)
    ACCOUNT_DELETED = "account.deleted"  # account_id
    SIGNED_OUT = "account.signed_out"  # account_id (all its web sessions and tokens ended)
    ACCOUNT_MOVED = "account.moved"  # account_id, target_id (a local member moved away)
    POLL_VOTED = "poll.voted"  # account_id, poll_id, choices
    NOTIFICATION_CREATED = "notification.created"  # notification_id
    FILTERS_CHANGED = "filters.changed"  # account_id (a filter, keyword or post changed)
    REPORT_FILED = "report.filed"  # report_id (only when it is to be forwarded to a server)


async def record(session: AsyncSession, name: str, **payload: Any) -> None:
    """Record that `name` happened; listeners run after the transaction commits."""
    await enqueue(session, JOB_PREFIX + name, payload)
