"""What every new post goes through, whoever wrote it: the one place for these rules.

A local post (parley.domain.posts.service.create_post: text a member typed, checked against
this instance's limits and rendered) and a remote post (parley.domain.federation.remote_posts:
HTML from another server, sanitized by the adapter) differ in how their content, poll and media
are made. Once that is done they share everything here: the row's thread and reply links,
mention and tag rows, the author's post count, the automated-flags screening (a held post is
not published), then (once published) the parent's counters, home-feed fan-out, notifications
and the post.created event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import AliasedClass

from parley.domain.accounts.models import Account
from parley.domain.events import Event, record
from parley.domain.moderation.autoflag.models import PostHold
from parley.domain.moderation.autoflag.screening import screen_post
from parley.domain.notifications.models import NotificationType
from parley.domain.notifications.service import notify
from parley.domain.posts.content import replace_mentions_and_tags
from parley.domain.posts.counting import add_to_counter, count_new_post
from parley.domain.posts.formatting import Formatted
from parley.domain.posts.models import Mention, Post
from parley.domain.posts.visibility import can_see
from parley.domain.timelines.service import fan_out_post


def new_post(
    *, post_id: int, author: Account, parent: Post | None, quoted: Post | None, **columns: Any
) -> Post:
    """The row for a new post, with its thread and the reply and quote links filled in."""
    return Post(
        id=post_id,
        account_id=author.id,
        local=author.is_local,
        in_reply_to_id=None if parent is None else parent.id,
        in_reply_to_account_id=None if parent is None else parent.account_id,
        thread_id=post_id if parent is None else (parent.thread_id or parent.id),
        quote_of_id=None if quoted is None else quoted.id,
        **columns,
    )


async def settle_new_post(
    session: AsyncSession,
    *,
    post: Post,
    author: Account,
    formatted: Formatted,
    mentioned: list[Account],
    parent: Post | None,
    quoted: Post | None,
    attach: Callable[[Post], Awaitable[None]] | None = None,
) -> Post:
    """Write everything a new post's row implies; `attach` adds its poll and media first."""
    session.add(post)
    await session.flush()
    await replace_mentions_and_tags(session, post=post, formatted=formatted, mentioned=mentioned)
    if attach is not None:
        await attach(post)
    await count_new_post(session, author.id)
    # A post an automated flag holds stays with its author until a moderator approves it;
    # until then it does not count on its parent or quoted post either.
    if not await screen_post(session, post=post, author=author):
        await _count_on_parents(session, post, 1)
        await _publish(session, post, parent=parent, quoted=quoted, mentioned=mentioned)
    return post


async def _count_on_parents(session: AsyncSession, post: Post, delta: int) -> None:
    if post.in_reply_to_id is not None:
        await add_to_counter(session, Post.replies_count, post.in_reply_to_id, delta)
    if post.quote_of_id is not None:
        await add_to_counter(session, Post.quotes_count, post.quote_of_id, delta)


def counted_on_parents(posts: type[Post] | AliasedClass[Post]) -> ColumnElement[bool]:
    """Posts that count on their parent and quoted post: all but those held before anyone
    saw them (a post held after an edit had been published, so it still counts)."""
    return or_(
        posts.held.is_(False),
        posts.id.in_(select(PostHold.post_id).where(PostHold.was_published.is_(True))),
    )


async def uncount_on_parents(session: AsyncSession, post: Post) -> None:
    """Undo what a post being deleted added to its parent's and quoted post's counters."""
    if post.held and not await session.scalar(
        select(PostHold.was_published).where(PostHold.post_id == post.id)
    ):
        return
    await _count_on_parents(session, post, -1)


async def publish_post(session: AsyncSession, post: Post) -> None:
    """Publish a post that was held for review (local or remote): fan it out, notify the
    people it concerns and announce it, as when a post is written."""
    mentioned = list(
        await session.scalars(
            select(Account)
            .join(Mention, Mention.account_id == Account.id)
            .where(Mention.post_id == post.id)
        )
    )
    parent = None if post.in_reply_to_id is None else await session.get(Post, post.in_reply_to_id)
    quoted = None if post.quote_of_id is None else await session.get(Post, post.quote_of_id)
    await _count_on_parents(session, post, 1)
    await _publish(session, post, parent=parent, quoted=quoted, mentioned=mentioned)


async def _publish(
    session: AsyncSession,
    post: Post,
    *,
    parent: Post | None,
    quoted: Post | None,
    mentioned: list[Account],
) -> None:
    await fan_out_post(session, post)
    await _notify_new_post(session, post, parent=parent, quoted=quoted, mentioned=mentioned)
    # Streams show remote posts too; the federation listener ignores non-local authors.
    await record(session, Event.POST_CREATED, post_id=post.id)


async def _notify_new_post(
    session: AsyncSession,
    post: Post,
    *,
    parent: Post | None,
    quoted: Post | None,
    mentioned: list[Account],
) -> None:
    """One notification per person: comment beats mention beats quote."""
    told = {post.account_id}

    async def tell(recipient_id: int, kind: str) -> None:
        if recipient_id in told:
            return
        told.add(recipient_id)
        await notify(
            session,
            recipient_id=recipient_id,
            from_account_id=post.account_id,
            type=kind,
            post_id=post.id,
        )

    # The replied-to and quoted authors are told only if they may read the new post.
    if parent is not None and await can_see(session, parent.account_id, post):
        await tell(parent.account_id, NotificationType.COMMENT)
    for account in mentioned:
        await tell(account.id, NotificationType.MENTION)
    if quoted is not None and await can_see(session, quoted.account_id, post):
        await tell(quoted.account_id, NotificationType.QUOTE)
