"""Reading hashtags and who follows them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.errors import NotFound
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Tag
from parley.domain.tags.models import TagFollow
from parley.domain.tags.service import normalise


async def get_tag(session: AsyncSession, name: str) -> Tag:
    tag = await session.scalar(select(Tag).where(Tag.name == normalise(name)))
    if tag is None:
        raise NotFound("Record not found")
    return tag


async def followed_tag_ids(
    session: AsyncSession, account_id: int | None, tag_ids: list[int]
) -> set[int]:
    """Which of these tags the account follows (none when signed out)."""
    if account_id is None or not tag_ids:
        return set()
    rows = await session.scalars(
        select(TagFollow.tag_id).where(
            TagFollow.account_id == account_id, TagFollow.tag_id.in_(tag_ids)
        )
    )
    return set(rows)


async def list_followed_tags(
    session: AsyncSession, account_id: int, page: PageRequest
) -> list[tuple[int, Tag]]:
    """The tags the account follows, newest first; the cursor is the tag id."""
    stmt = (
        select(Tag)
        .join(TagFollow, TagFollow.tag_id == Tag.id)
        .where(TagFollow.account_id == account_id)
    )
    stmt = page.apply(stmt, Tag.id)
    rows = list(await session.scalars(stmt))
    return [(t.id, t) for t in page.newest_first(rows)]
