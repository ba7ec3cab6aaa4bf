"""A moderator's decision on a held post: approve (it is published as if just written: fan-out,
notifications, federation) or reject (it is removed through the moderation action "delete
post", so the author gets the reason as a strike they can appeal). Both are labels on the
post and entries in the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, get_or_404
from parley.domain.events import Event, record
from parley.domain.moderation import service as moderation
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.autoflag.labels import APPROVED, REJECTED, add_label
from parley.domain.moderation.autoflag.models import LabelSource, PostHold
from parley.domain.moderation.models import ActionKind
from parley.domain.moderation.permissions import Permission, require
from parley.domain.posts.models import Post
from parley.domain.posts.service import publish_post


async def _held(session: AsyncSession, moderator: Account, post_id: int) -> tuple[Post, PostHold]:
    await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    post = await get_or_404(
        session, Post, post_id, "This post does not exist (it may have been deleted)"
    )
    hold = await session.scalar(select(PostHold).where(PostHold.post_id == post.id))
    if hold is None or not post.held:
        raise Conflict("This post is not waiting for review (it was already decided)")
    if post.account_id == moderator.id:
        raise Forbidden("Another moderator decides on your own post")
    return post, hold


async def approve_held_post(
    session: AsyncSession, *, moderator: Account, post_id: int, note: str = ""
) -> Post:
    post, hold = await _held(session, moderator, post_id)
    post.held = False
    await session.delete(hold)
    await session.flush()
    await add_label(
        session, post_id=post.id, label=APPROVED, source=LabelSource.MODERATOR,
        account_id=moderator.id, note=note.strip(), details={"rules": hold.rules},
    )  # fmt: skip
    await write_audit(
        session, actor=moderator, action="post.approve", target_type="post", target_id=post.id,
        reason=note.strip(), rules=hold.rules,
    )  # fmt: skip
    if hold.was_published:
        await record(session, Event.POST_EDITED, post_id=post.id)
    else:
        await publish_post(session, post)
    return post


async def reject_held_post(
    session: AsyncSession, *, moderator: Account, post_id: int, reason: str
) -> None:
    """Remove the post; the author is told `reason` (required, as for every action)."""
    post, hold = await _held(session, moderator, post_id)
    rules = list(hold.rules)
    await moderation.take_action(
        session,
        moderator=moderator,
        kind=ActionKind.DELETE_POST,
        reason=reason,
        target_account_id=post.account_id,
        post_ids=[post.id],
    )
    await add_label(
        session, post_id=post_id, label=REJECTED, source=LabelSource.MODERATOR,
        account_id=moderator.id, note=reason.strip(), details={"rules": rules},
    )  # fmt: skip
