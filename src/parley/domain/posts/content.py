"""The rules shared by the commands that write posts: who may write, length, language,
and the rows derived from the text (mentions, hashtags).

Writing, editing and echoing use these, so they check and store the same way.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.context import DomainContext
from parley.domain.errors import Forbidden, Invalid
from parley.domain.instance.service import InstanceInfo, get_instance_info
from parley.domain.posts.counting import post_length
from parley.domain.posts.formatting import Formatted
from parley.domain.posts.models import Mention, Post, PostTag, Tag
from parley.domain.posts.text import mentioned_accounts, render_member_text

MAX_SPOILER_CHARS = 1000  # the column's size; the post limit counts it as well
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def check_author(account: Account) -> None:
    """A suspended or frozen account writes nothing (posts, edits, echoes, upvotes, follows)."""
    if account.suspended_at is not None:
        raise Forbidden("This account is suspended")
    if account.frozen_at is not None:
        raise Forbidden("This account is frozen by the moderators; see Settings > Strikes")


def check_not_moved(account: Account) -> None:
    """A local account that moved away writes no new posts (as on Mastodon): its followers
    went to the new account, which is where to write from now on."""
    if account.domain is None and account.moved_to_id is not None:
        raise Forbidden(
            "This account has moved to another account and can no longer post; "
            "write from the new account"
        )


async def instance_limits(session: AsyncSession, ctx: DomainContext) -> InstanceInfo:
    return await get_instance_info(
        session, max_post_chars_default=ctx.settings.max_post_chars_default
    )


def check_text(
    text: str, spoiler_text: str, info: InstanceInfo, *, has_poll: bool, has_media: bool = False
) -> None:
    """Text is required (unless there is a poll or media) and within the instance's limit."""
    if not text and not has_poll and not has_media:
        raise Invalid("text", "Text can't be blank")
    if len(spoiler_text) > MAX_SPOILER_CHARS:
        raise Invalid("spoiler_text", f"Content warning is at most {MAX_SPOILER_CHARS} characters")
    if post_length(text) + post_length(spoiler_text) > info.max_post_chars:
        raise Invalid("text", f"Text character limit of {info.max_post_chars} exceeded")


def check_language(language: str | None) -> str | None:
    if language is None or language == "":
        return None
    if len(language) > 16 or not LANGUAGE_RE.fullmatch(language):
        raise Invalid("language", "Language must be an ISO 639 code, like en or pt-BR")
    return language


async def render(
    session: AsyncSession, ctx: DomainContext, text: str
) -> tuple[Formatted, list[Account]]:
    """The text as HTML, and the known accounts it mentions (each once)."""
    formatted = await render_member_text(session, ctx, text)
    accounts = await mentioned_accounts(session, ctx, formatted)
    unique = list({account.id: account for account in accounts}.values())
    return formatted, unique


async def replace_mentions_and_tags(
    session: AsyncSession, *, post: Post, formatted: Formatted, mentioned: list[Account]
) -> None:
    """Make the post's Mention and PostTag rows match its (re-)rendered text."""
    await session.execute(delete(Mention).where(Mention.post_id == post.id))
    await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    for account in mentioned:
        session.add(Mention(post_id=post.id, account_id=account.id))
    for tag in await tags_for(session, formatted):
        session.add(PostTag(post_id=post.id, tag_id=tag.id))
    await session.flush()


async def tags_for(session: AsyncSession, formatted: Formatted) -> list[Tag]:
    """The Tag rows for a rendering's hashtags, created (with the writer's casing) if new."""
    if not formatted.tags:
        return []
    found = await session.scalars(select(Tag).where(Tag.name.in_(formatted.tags)))
    by_name = {tag.name: tag for tag in found}
    for name in formatted.tags:
        if name not in by_name:
            by_name[name] = await _create_tag(session, name, formatted.tag_display[name])
    return [by_name[name] for name in formatted.tags]


async def _create_tag(session: AsyncSession, name: str, display_name: str) -> Tag:
    await session.flush()
    tag = Tag(name=name, display_name=display_name)
    try:
        # A savepoint: if another post created the tag meanwhile, use theirs.
        async with session.begin_nested():
            session.add(tag)
    except IntegrityError:
        existing = await session.scalar(select(Tag).where(Tag.name == name))
        if existing is None:
            raise
        return existing
    return tag
