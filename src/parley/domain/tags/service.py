"""Following and unfollowing hashtags."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import NotFound
from parley.domain.posts.models import Tag
from parley.domain.tags.models import TagFollow

# The names the post formatter turns into tags (parley.domain.posts.formatting.TAG_RE).
TAG_NAME = re.compile(r"(?:[^\W_]\w{0,99}|_+[^\W_]\w*)")


def normalise(name: str) -> str:
    """The stored (lower-case, no '#') form of a tag name; NotFound if it cannot be a tag."""
    bare = name.strip().removeprefix("#")
    if not TAG_NAME.fullmatch(bare) or len(bare) > 200:
        raise NotFound("Record not found")
    return bare.lower()


async def get_or_create_tag(session: AsyncSession, name: str) -> Tag:
    """Following a tag nobody has used yet creates it, as Mastodon does."""
    bare = name.strip().removeprefix("#")
    lowered = normalise(bare)
    tag = await session.scalar(select(Tag).where(Tag.name == lowered))
    if tag is not None:
        return tag
    tag = Tag(name=lowered, display_name=bare)
    try:
        async with session.begin_nested():  # another request may create it meanwhile
            session.add(tag)
    except IntegrityError:
        tag = await session.scalar(select(Tag).where(Tag.name == lowered))
        if tag is None:
            raise
    return tag


async def follow_tag(session: AsyncSession, *, account: Account, name: str) -> Tag:
    """Follow #name; following it again changes nothing."""
    tag = await get_or_create_tag(session, name)
    exists = await session.get(TagFollow, (account.id, tag.id))
    if exists is None:
        try:
            async with session.begin_nested():
                session.add(TagFollow(account_id=account.id, tag_id=tag.id))
        except IntegrityError:
            pass  # a concurrent request followed it: the outcome is the same
    return tag


async def unfollow_tag(session: AsyncSession, *, account: Account, name: str) -> Tag:
    """Stop following #name. Posts it already brought into the home stay there (as Mastodon)."""
    lowered = normalise(name)
    tag = await session.scalar(select(Tag).where(Tag.name == lowered))
    if tag is None:
        raise NotFound("Record not found")
    await session.execute(
        delete(TagFollow).where(TagFollow.account_id == account.id, TagFollow.tag_id == tag.id)
    )
    return tag
