"""Posts written on other servers: stored as they arrive, already sanitized by the adapter.

parley.domain.posts.service.create_post renders text a member typed; a remote post arrives as
HTML and is not bound by this instance's length limit, so its content, poll and media are made
here; the rest (thread links, mention and tag rows, counters, screening, fan-out,
notifications, the post.created event) is parley.domain.posts.writing, shared with local posts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.accounts.models import Account
from parley.domain.events import Event, record
from parley.domain.media.remote import RemoteMedia, remote_urls, replace_remote_attachments
from parley.domain.moderation.autoflag.screening import screen_post
from parley.domain.posts.content import replace_mentions_and_tags
from parley.domain.posts.formatting import Formatted
from parley.domain.posts.models import Poll, Post, PostEdit
from parley.domain.posts.writing import new_post, settle_new_post


@dataclass(slots=True)
class RemotePostData:
    uri: str
    content_html: str
    text: str
    visibility: str
    url: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    published: datetime | None = None
    edited_at: datetime | None = None
    in_reply_to: Post | None = None
    quote_of: Post | None = None
    mentioned: list[Account] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # [(title, votes)], multiple, ends_at, voters_count
    poll: tuple[list[tuple[str, int]], bool, datetime | None, int] | None = None
    attachments: list[RemoteMedia] = field(default_factory=list)


async def find_post_by_uri(session: AsyncSession, uri: str) -> Post | None:
    return await session.scalar(select(Post).where(Post.uri == uri))


def _formatted(data: RemotePostData) -> Formatted:
    formatted = Formatted(html=data.content_html)
    for name in data.tags:
        if name.lower() not in formatted.tag_display:
            formatted.tags.append(name.lower())
            formatted.tag_display[name.lower()] = name
    return formatted


def _created_at(data: RemotePostData) -> datetime:
    now = utcnow()
    # A date in the future would pin the post to the top of every timeline.
    return data.published if data.published and data.published < now else now


async def create_remote_post(
    session: AsyncSession, *, author: Account, data: RemotePostData
) -> Post:
    """Store a remote post; receiving it again returns the stored one unchanged."""
    existing = await find_post_by_uri(session, data.uri)
    if existing is not None:
        return existing
    parent, quoted = data.in_reply_to, data.quote_of
    post = new_post(
        post_id=new_id(),
        author=author,
        parent=parent,
        quoted=quoted,
        uri=data.uri,
        url=data.url,
        text=data.text,
        content_html=data.content_html,
        spoiler_text=data.spoiler_text[:1000],
        sensitive=data.sensitive,
        visibility=data.visibility,
        language=data.language,
        has_poll=data.poll is not None,
        created_at=_created_at(data),
        edited_at=data.edited_at,
    )

    async def attach(post: Post) -> None:
        if data.poll is not None:
            await _write_poll(session, post, data.poll)
        if data.attachments:
            post.has_media = bool(
                await replace_remote_attachments(
                    session, account_id=author.id, post_id=post.id, items=data.attachments
                )
            )

    return await settle_new_post(
        session,
        post=post,
        author=author,
        formatted=_formatted(data),
        mentioned=list({a.id: a for a in data.mentioned}.values()),
        parent=parent,
        quoted=quoted,
        attach=attach,
    )


async def _write_poll(
    session: AsyncSession,
    post: Post,
    poll: tuple[list[tuple[str, int]], bool, datetime | None, int],
) -> None:
    options, multiple, ends_at, voters = poll
    row = await session.scalar(select(Poll).where(Poll.post_id == post.id))
    if row is None:
        row = Poll(post_id=post.id)
        session.add(row)
    row.options = [{"title": title, "votes_count": votes} for title, votes in options]
    row.multiple = multiple
    row.expires_at = ends_at
    row.votes_count = sum(votes for _, votes in options)
    row.voters_count = voters
    await session.flush()


async def update_remote_post(session: AsyncSession, *, post: Post, data: RemotePostData) -> Post:
    """Apply a remote edit, keeping the previous version in the edit history."""
    same_media = await remote_urls(session, post.id) == [m.url for m in data.attachments]
    if (data.content_html, data.spoiler_text, data.sensitive) == (
        post.content_html,
        post.spoiler_text,
        post.sensitive,
    ) and data.poll is None:
        if not same_media:  # a video finished processing on its server: no new version
            post.has_media = bool(
                await replace_remote_attachments(
                    session, account_id=post.account_id, post_id=post.id, items=data.attachments
                )
            )
        return post
    first = await session.scalar(select(PostEdit.id).where(PostEdit.post_id == post.id))
    if first is None:
        session.add(_version(post, at=post.created_at))
    post.text = data.text
    post.content_html = data.content_html
    post.spoiler_text = data.spoiler_text[:1000]
    post.sensitive = data.sensitive
    post.language = data.language or post.language
    post.edited_at = min(data.edited_at or utcnow(), utcnow())
    await replace_mentions_and_tags(
        session,
        post=post,
        formatted=_formatted(data),
        mentioned=list({a.id: a for a in data.mentioned}.values()),
    )
    if data.poll is not None:
        await _write_poll(session, post, data.poll)
    post.has_media = bool(
        await replace_remote_attachments(
            session, account_id=post.account_id, post_id=post.id, items=data.attachments
        )
    )
    session.add(_version(post, at=post.edited_at))
    await session.flush()
    author = await session.get(Account, post.account_id)
    if author is not None and await screen_post(session, post=post, author=author, edited=True):
        return post
    await record(session, Event.POST_EDITED, post_id=post.id)
    return post


def _version(post: Post, *, at: datetime) -> PostEdit:
    return PostEdit(
        id=new_id(),
        post_id=post.id,
        text=post.text,
        content_html=post.content_html,
        spoiler_text=post.spoiler_text,
        sensitive=post.sensitive,
        created_at=at,
    )
