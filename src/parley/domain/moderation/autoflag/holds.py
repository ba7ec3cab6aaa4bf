"""Posts held for review: holding one, and the moderators' queue of them.

A held post is stored with Post.held set: the visibility rule shows it to its author only,
and the services that write posts skip fan-out, notifications and the events federation
listens to. Approving or rejecting is in parley.domain.moderation.autoflag.decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.moderation.autoflag.labels import labels_for
from parley.domain.moderation.autoflag.models import PostHold, PostLabel
from parley.domain.moderation.permissions import Permission, require
from parley.domain.posts.models import Post

QUEUE_LIMIT = 200


async def hold_post(
    session: AsyncSession, *, post: Post, rules: list[str], was_published: bool
) -> PostHold:
    """Hold `post` (again) for review; `was_published`: others had already seen it."""
    hold = await session.get(PostHold, post.id)
    if hold is None:
        hold = PostHold(post_id=post.id, rules=list(rules), was_published=was_published)
        session.add(hold)
    else:
        hold.rules = list(dict.fromkeys([*hold.rules, *rules]))
    post.held = True
    await session.flush()
    return hold


@dataclass(frozen=True, slots=True)
class HeldItem:
    post: Post
    author: Account
    hold: PostHold
    labels: list[PostLabel]


async def count_held(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(PostHold)) or 0)


async def held_queue(session: AsyncSession, *, moderator: Account) -> list[HeldItem]:
    """Held posts, oldest first, with their authors and labels."""
    await require(session, moderator, Permission.MANAGE_REPORTS)
    rows = (
        await session.execute(
            select(PostHold, Post, Account)
            .join(Post, Post.id == PostHold.post_id)
            .join(Account, Account.id == Post.account_id)
            .order_by(PostHold.created_at, PostHold.post_id)
            .limit(QUEUE_LIMIT)
        )
    ).all()
    labels = await labels_for(session, [post.id for _, post, _ in rows])
    return [HeldItem(post, author, hold, labels[post.id]) for hold, post, author in rows]
