"""Search: posts by words in their text, and hashtags by the start of their name.

There is no search engine; a plain LIKE (ILIKE on PostgreSQL) with the member's text escaped.
What a viewer can find, kept simple and deliberately narrower than what they may see:
- posts they may see (`shown_to`: audience, blocks, mutes), never echoes;
- their own posts and posts by accounts they follow, whatever the audience they may see;
- other people's posts only if public and the author is discoverable (the profile setting
  that opts in to being found), so unlisted posts are not surfaced to strangers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.posts.models import Post, Tag, Visibility
from parley.domain.relationships.models import Follow
from parley.domain.timelines.queries import shown_to

MAX_QUERY = 200


def like_pattern(text: str, *, prefix_only: bool = False) -> str:
    """A LIKE pattern matching `text` literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


def _findable(viewer_id: int) -> ColumnElement[bool]:
    follows = exists(
        select(Follow.id)
        .where(Follow.account_id == viewer_id, Follow.target_id == Post.account_id)
        .correlate_except(Follow)
    )
    discoverable = exists(
        select(Account.id)
        .where(Account.id == Post.account_id, Account.discoverable.is_(True))
        .correlate_except(Account)
    )
    return or_(
        Post.account_id == viewer_id,
        follows,
        and_(Post.visibility == Visibility.PUBLIC, discoverable),
    )


async def search_posts(
    session: AsyncSession,
    viewer_id: int,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    account_id: int | None = None,
    following: bool = False,
) -> list[Post]:
    """Posts whose text contains `query` (any case), newest first.

    `account_id` keeps one author's posts; `following` only those of accounts the viewer follows.
    """
    needle = query.strip()[:MAX_QUERY]
    if not needle:
        return []
    stmt = select(Post).where(
        Post.text.ilike(like_pattern(needle), escape="\\"),
        Post.echo_of_id.is_(None),
        _findable(viewer_id),
        shown_to(viewer_id),
    )
    if account_id is not None:
        stmt = stmt.where(Post.account_id == account_id)
    if following:
        stmt = stmt.where(
            Post.account_id.in_(select(Follow.target_id).where(Follow.account_id == viewer_id))
        )
    stmt = stmt.order_by(Post.id.desc()).offset(offset).limit(limit)
    return list(await session.scalars(stmt))


async def search_tags(
    session: AsyncSession, query: str, *, limit: int = 20, offset: int = 0
) -> list[Tag]:
    """Hashtags whose name starts with `query` ('#' optional), in name order."""
    needle = query.strip().removeprefix("#").lower()[:MAX_QUERY]
    if not needle:
        return []
    stmt = (
        select(Tag)
        .where(Tag.name.like(like_pattern(needle, prefix_only=True), escape="\\"))
        .order_by(Tag.name)
        .offset(offset)
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def followed_among(session: AsyncSession, viewer_id: int, account_ids: list[int]) -> set[int]:
    """Which of these accounts the viewer follows (search's `following` option)."""
    if not account_ids:
        return set()
    rows = await session.scalars(
        select(Follow.target_id).where(
            Follow.account_id == viewer_id, Follow.target_id.in_(account_ids)
        )
    )
    return set(rows)
