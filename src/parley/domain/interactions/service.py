"""Upvotes, bookmarks and pins: one command each way, all idempotent.

An upvote or bookmark of an echo applies to the echoed post, as in Mastodon. Each command
returns the post it applied to, for the adapter to render.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.interactions.models import Bookmark, Pin, Upvote
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.notifications.service import notify
from parley.domain.posts.content import check_author
from parley.domain.posts.counting import add_to_counter
from parley.domain.posts.models import Post, Visibility
from parley.domain.posts.queries import NOT_FOUND, get_own_post, get_visible_post
from parley.domain.posts.visibility import can_see

MAX_PINS = 5
PINNABLE = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)


async def _visible_original(session: AsyncSession, actor: Account, post_id: int) -> Post:
    post = await get_visible_post(session, viewer_id=actor.id, post_id=post_id)
    if post.echo_of_id is not None:
        return await get_visible_post(session, viewer_id=actor.id, post_id=post.echo_of_id)
    return post


async def _existing_original(session: AsyncSession, post_id: int) -> Post:
    """For taking something back: the post (or echoed post) must exist, not be visible."""
    post = await session.get(Post, post_id)
    if post is not None and post.echo_of_id is not None:
        post = await session.get(Post, post.echo_of_id)
    if post is None:
        raise NotFound(NOT_FOUND)
    return post


async def upvote_post(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    check_author(actor)
    post = await _visible_original(session, actor, post_id)
    existing = await session.scalar(
        select(Upvote.id).where(Upvote.account_id == actor.id, Upvote.post_id == post.id)
    )
    if existing is not None:
        return post
    upvote = Upvote(account_id=actor.id, post_id=post.id)
    await session.flush()
    try:
        async with session.begin_nested():  # a double click racing itself
            session.add(upvote)
    except IntegrityError:
        return post
    if actor.is_local:
        upvote.uri = f"{actor.uri}#upvotes/{upvote.id}"
    await add_to_counter(session, Post.upvotes_count, post.id, 1)
    await record(session, Event.UPVOTE_CREATED, account_id=actor.id, post_id=post.id)
    await notify(
        session,
        recipient_id=post.account_id,
        from_account_id=actor.id,
        type=NotificationType.UPVOTE,
        post_id=post.id,
    )
    return post


async def remove_upvote(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    """Take an upvote back; allowed even if the post has since become invisible to the actor."""
    post = await _existing_original(session, post_id)
    upvote = await session.scalar(
        select(Upvote).where(Upvote.account_id == actor.id, Upvote.post_id == post.id)
    )
    if upvote is None:
        if not await can_see(session, actor.id, post):
            raise NotFound(NOT_FOUND)
        return post
    # The Like's URI goes with the event: federation undoes it by that id.
    await record(
        session, Event.UPVOTE_DELETED, account_id=actor.id, post_id=post.id, uri=upvote.uri
    )
    await session.delete(upvote)
    await add_to_counter(session, Post.upvotes_count, post.id, -1)
    await session.execute(
        delete(Notification).where(
            Notification.type == NotificationType.UPVOTE,
            Notification.from_account_id == actor.id,
            Notification.post_id == post.id,
        )
    )
    return post


async def bookmark_post(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    post = await _visible_original(session, actor, post_id)
    existing = await session.scalar(
        select(Bookmark.id).where(Bookmark.account_id == actor.id, Bookmark.post_id == post.id)
    )
    if existing is None:
        await session.flush()
        try:
            async with session.begin_nested():
                session.add(Bookmark(account_id=actor.id, post_id=post.id))
        except IntegrityError:
            pass  # bookmarked at the same moment elsewhere: the same outcome
    return post


async def remove_bookmark(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    post = await _existing_original(session, post_id)
    removed = await session.execute(
        delete(Bookmark).where(Bookmark.account_id == actor.id, Bookmark.post_id == post.id)
    )
    if removed.rowcount == 0 and not await can_see(session, actor.id, post):  # type: ignore[attr-defined]
        raise NotFound(NOT_FOUND)
    return post


async def pin_post(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    """Pin one's own post to one's profile (at most five; not echoes, not mentioned-only)."""
    post = await get_own_post(session, account_id=actor.id, post_id=post_id)
    if post.echo_of_id is not None:
        raise Invalid(None, "An echo cannot be pinned")
    if post.visibility not in PINNABLE:
        raise Invalid(None, "A post for mentioned people only cannot be pinned")
    existing = await session.scalar(
        select(Pin.id).where(Pin.account_id == actor.id, Pin.post_id == post.id)
    )
    if existing is not None:
        return post
    pinned = await session.scalar(
        select(func.count()).select_from(Pin).where(Pin.account_id == actor.id)
    )
    if (pinned or 0) >= MAX_PINS:
        raise Invalid(None, f"You have already pinned the maximum number of posts ({MAX_PINS})")
    session.add(Pin(account_id=actor.id, post_id=post.id))
    await session.flush()
    return post


async def unpin_post(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    post = await get_own_post(session, account_id=actor.id, post_id=post_id)
    await session.execute(delete(Pin).where(Pin.account_id == actor.id, Pin.post_id == post.id))
    return post
