"""Echoes (reposts): making and taking back one, inside the caller's transaction.

An echo is a Post row with `echo_of_id` set and no text of its own. One account echoes a
post at most once; echoing an echo echoes its original.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from parley.db.ids import new_id
from parley.domain import identity
from parley.domain.accounts.models import Account
from parley.domain.context import DomainContext
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.notifications.service import notify
from parley.domain.posts.content import check_author, check_not_moved
from parley.domain.posts.counting import add_to_counter, count_new_post
from parley.domain.posts.models import Post, Visibility
from parley.domain.posts.queries import NOT_FOUND, find_echo, find_original
from parley.domain.posts.visibility import can_see
from parley.domain.timelines.service import fan_out_post

ECHO_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)


async def echo_post(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    actor: Account,
    post_id: int,
    visibility: str = Visibility.PUBLIC,
    uri: str | None = None,
) -> Post:
    """Echo a post (or, given an echo, its original); echoing twice returns the first echo.

    Others' posts can be echoed when public or unlisted; authors may also echo their own
    followers-only posts (to their followers). `uri` is for remote actors.
    """
    check_author(actor)
    check_not_moved(actor)
    original = await find_original(session, post_id)
    if original is None or not await can_see(session, actor.id, original):
        raise NotFound(NOT_FOUND)
    if original.held:  # only its author sees it: an echo would announce it to others
        raise Forbidden("This post is held for review and cannot be echoed until approved")
    if visibility not in ECHO_VISIBILITIES:
        raise Invalid("visibility", "An echo is public, unlisted or for followers only")
    if original.visibility == Visibility.FOLLOWERS and original.account_id == actor.id:
        visibility = Visibility.FOLLOWERS
    elif original.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        raise Forbidden("This post cannot be echoed")
    existing = await find_echo(session, account_id=actor.id, original_id=original.id)
    if existing is not None:
        return existing

    echo_id = new_id()
    if actor.is_local:
        uri = identity.post_uri(ctx.base_url, actor.username, echo_id) + "/activity"
    elif uri is None:
        raise Invalid("uri", "A remote echo needs its URI")
    echo = Post(
        id=echo_id,
        account_id=actor.id,
        local=actor.is_local,
        uri=uri,
        url=uri,
        visibility=visibility,
        echo_of_id=original.id,
    )
    await session.flush()
    try:
        async with session.begin_nested():  # the same echo, made at the same moment elsewhere
            session.add(echo)
    except IntegrityError:
        existing = await find_echo(session, account_id=actor.id, original_id=original.id)
        if existing is None:
            raise
        return existing
    await count_new_post(session, actor.id)
    await add_to_counter(session, Post.echoes_count, original.id, 1)
    await fan_out_post(session, echo)
    await notify(
        session,
        recipient_id=original.account_id,
        from_account_id=actor.id,
        type=NotificationType.ECHO,
        post_id=original.id,
    )
    await record(session, Event.ECHO_CREATED, post_id=echo.id)
    return echo


async def unecho_post(session: AsyncSession, *, actor: Account, post_id: int) -> Post:
    """Take back one's echo of a post (given the original or the echo); returns the original."""
    original = await find_original(session, post_id)
    if original is None:
        raise NotFound(NOT_FOUND)
    echo = await find_echo(session, account_id=actor.id, original_id=original.id)
    if echo is None:
        if not await can_see(session, actor.id, original):
            raise NotFound(NOT_FOUND)
        return original
    await remove_echo(session, echo)
    return original


async def remove_echo(session: AsyncSession, echo: Post) -> None:
    """Delete an echo row, its counts and the notification it caused."""
    assert echo.echo_of_id is not None
    original = await session.get(Post, echo.echo_of_id)
    await add_to_counter(session, Account.posts_count, echo.account_id, -1)
    await add_to_counter(session, Post.echoes_count, echo.echo_of_id, -1)
    await session.execute(
        delete(Notification).where(
            Notification.type == NotificationType.ECHO,
            Notification.from_account_id == echo.account_id,
            Notification.post_id == echo.echo_of_id,
        )
    )
    await record(
        session,
        Event.ECHO_DELETED,
        post_id=echo.id,
        account_id=echo.account_id,
        uri=echo.uri,
        original_uri=None if original is None else original.uri,
    )
    await session.flush()
    await session.execute(
        delete(Post).where(Post.id == echo.id).execution_options(synchronize_session=False)
    )
    forget_post(session, echo.id)


def forget_post(session: AsyncSession, post_id: int) -> None:
    """Detach a deleted post from the session, so it is neither flushed nor reloaded."""
    loaded = session.identity_map.get(identity_key(Post, post_id))
    if loaded is not None:
        session.expunge(loaded)
