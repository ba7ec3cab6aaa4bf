"""Who upvoted or echoed a post, and an account's pinned posts.

Account lists are `(cursor, Account)` pairs, newest first, like the relationship lists: the
cursor is the Upvote id or the echo's post id, which `max_id` / `since_id` / `min_id` mean.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from parley.domain.accounts.models import Account
from parley.domain.interactions.models import Pin, Upvote
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post
from parley.domain.posts.queries import get_visible_post
from parley.domain.posts.visibility import visible_to
from parley.domain.relationships.models import Block


def _not_blocked(viewer_id: int | None) -> ColumnElement[bool]:
    """Leave out accounts the viewer blocks or is blocked by."""
    if viewer_id is None:
        return true()
    blocks = (
        select(Block.target_id)
        .where(Block.account_id == viewer_id)
        .union(select(Block.account_id).where(Block.target_id == viewer_id))
    )
    return Account.id.not_in(blocks)


async def _page(
    session: AsyncSession,
    stmt: Select[int, Account],
    key: InstrumentedAttribute[int],
    page: PageRequest,
) -> list[tuple[int, Account]]:
    # PageRequest.apply is typed for SQLAlchemy 2.0's Select[tuple]; 2.1's is variadic.
    paged: Select[int, Account] = page.apply(stmt, key)
    rows = (await session.execute(paged)).all()
    return page.newest_first([(cursor, account) for cursor, account in rows])


async def list_upvoters(
    session: AsyncSession, *, viewer_id: int | None, post_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    post = await get_visible_post(session, viewer_id=viewer_id, post_id=post_id)
    stmt = (
        select(Upvote.id, Account)
        .join(Account, Account.id == Upvote.account_id)
        .where(Upvote.post_id == post.id, Account.suspended_at.is_(None), _not_blocked(viewer_id))
    )
    return await _page(session, stmt, Upvote.id, page)


async def list_echoers(
    session: AsyncSession, *, viewer_id: int | None, post_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    """Accounts whose echo of the post the viewer may see."""
    post = await get_visible_post(session, viewer_id=viewer_id, post_id=post_id)
    stmt = (
        select(Post.id, Account)
        .join(Account, Account.id == Post.account_id)
        .where(Post.echo_of_id == post.id, visible_to(viewer_id), _not_blocked(viewer_id))
    )
    return await _page(session, stmt, Post.id, page)


async def list_pinned(
    session: AsyncSession, *, viewer_id: int | None, account_id: int
) -> list[Post]:
    """The account's pinned posts the viewer may see, most recently pinned first."""
    rows = await session.scalars(
        select(Post)
        .join(Pin, and_(Pin.post_id == Post.id, Pin.account_id == Post.account_id))
        .where(Pin.account_id == account_id, visible_to(viewer_id))
        .order_by(Pin.id.desc())
    )
    return list(rows)
