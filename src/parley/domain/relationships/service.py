"""Commands on relationships: follow, follow requests, block, mute.

Federation seam: every change records a domain event (parley.domain.events) in the same
transaction; the federation listener sends the activity when the acting account is local and
the other remote. The payloads carry `account_id` (the follower or blocker), `target_id` and
`uri`, the Follow activity's id (remote followers: theirs; local followers: ours, set when the
request is made, so Undo and Accept can name it). Which event means which activity:
- FOLLOW_REQUESTED: Follow (locked or remote target);
- FOLLOW_ACCEPTED: the follow now exists; Accept when the target is local and the follower remote;
- FOLLOW_REJECTED: the target refused or removed the follower; Reject;
- UNFOLLOWED: the follower withdrew; Undo Follow;
- BLOCKED / UNBLOCKED: Block / Undo Block.
The inbox calls these same commands for remote actors. A follow of a remote account stays a
request until its server's Accept arrives; the inbox then calls
`accept_follow_request(target=<remote account>, follower_id=...)`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.notifications import service as notifications
from parley.domain.notifications.models import NotificationType
from parley.domain.posts.content import check_author
from parley.domain.relationships.models import Block, Follow, FollowRequest, Mute
from parley.domain.relationships.queries import is_blocked_either_way
from parley.domain.timelines.lists import remove_from_all_lists
from parley.domain.timelines.service import backfill_author, remove_author_from_feed

FOLLOWING = "following"
REQUESTED = "requested"


async def _count(session: AsyncSession, account: Account, column: str, delta: int) -> None:
    """Atomically add `delta` to a counter (never below 0) and update the loaded object."""
    col = getattr(Account, column)
    value = await session.scalar(
        update(Account)
        .where(Account.id == account.id)
        .values({column: case((col + delta < 0, 0), else_=col + delta)})
        .returning(col)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(account, column, value)


async def _account(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("Record not found")
    return account


def _activity_uri(actor: Account, kind: str, row_id: int, given: str | None) -> str | None:
    """The activity id: the remote one given by the inbox, or ours for a local actor."""
    if given is not None or actor.domain is not None:
        return given
    return f"{actor.uri}#{kind}/{row_id}"


async def _start_following(
    session: AsyncSession,
    *,
    follower: Account,
    target: Account,
    show_echoes: bool,
    notify: bool,
    uri: str | None,
) -> Follow:
    follow_id = new_id()
    follow = Follow(
        id=follow_id,
        account_id=follower.id,
        target_id=target.id,
        show_echoes=show_echoes,
        notify=notify,
        uri=_activity_uri(follower, "follows", follow_id, uri),
    )
    session.add(follow)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request made the same follow
        raise Conflict("Already following this account") from exc
    await _count(session, follower, "following_count", 1)
    await _count(session, target, "followers_count", 1)
    if follower.domain is None:
        await backfill_author(
            session, account_id=follower.id, author_id=target.id, show_echoes=show_echoes
        )
    return follow


async def follow_account(
    session: AsyncSession,
    *,
    follower: Account,
    target: Account,
    show_echoes: bool = True,
    notify: bool = False,
    uri: str | None = None,
) -> str:
    """Follow, or ask to follow, `target`: returns FOLLOWING or REQUESTED.

    A locked or remote target gets a FollowRequest. Following again only updates
    `show_echoes` and `notify`. `uri` is the remote Follow activity's id (inbox only).
    """
    if follower.id == target.id:
        raise Invalid(None, "You cannot follow yourself")
    check_author(follower)
    if target.suspended_at is not None:
        raise NotFound("Record not found")
    if await is_blocked_either_way(session, follower.id, target.id):
        raise Forbidden("You cannot follow this account")
    existing: Follow | FollowRequest | None = await session.scalar(
        select(Follow).where(Follow.account_id == follower.id, Follow.target_id == target.id)
    )
    state = FOLLOWING
    if existing is None:
        state = REQUESTED
        existing = await session.scalar(
            select(FollowRequest).where(
                FollowRequest.account_id == follower.id, FollowRequest.target_id == target.id
            )
        )
    if existing is not None:
        existing.show_echoes = show_echoes
        existing.notify = notify
        await session.flush()
        return state
    if target.locked or target.domain is not None:
        request_id = new_id()
        request = FollowRequest(
            id=request_id,
            account_id=follower.id,
            target_id=target.id,
            show_echoes=show_echoes,
            notify=notify,
            uri=_activity_uri(follower, "follows", request_id, uri),
        )
        session.add(request)
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict("Already asked to follow this account") from exc
        await notifications.notify(
            session,
            recipient_id=target.id,
            from_account_id=follower.id,
            type=NotificationType.FOLLOW_REQUEST,
        )
        await record(
            session,
            Event.FOLLOW_REQUESTED,
            account_id=follower.id,
            target_id=target.id,
            uri=request.uri,
        )
        return REQUESTED
    follow = await _start_following(
        session, follower=follower, target=target, show_echoes=show_echoes, notify=notify, uri=uri
    )
    await notifications.notify(
        session, recipient_id=target.id, from_account_id=follower.id, type=NotificationType.FOLLOW
    )
    # An unlocked local account accepts at once (a remote follower gets an Accept).
    await record(
        session, Event.FOLLOW_ACCEPTED, account_id=follower.id, target_id=target.id, uri=follow.uri
    )
    return FOLLOWING


async def _drop_follow(
    session: AsyncSession, *, follower: Account, target: Account, by_follower: bool
) -> bool:
    """End a follow or a pending request; `by_follower` says who ended it (Undo vs Reject)."""
    follow = await session.scalar(
        select(Follow).where(Follow.account_id == follower.id, Follow.target_id == target.id)
    )
    request = await session.scalar(
        select(FollowRequest).where(
            FollowRequest.account_id == follower.id, FollowRequest.target_id == target.id
        )
    )
    ended = follow or request
    if ended is None:
        return False
    for row in (follow, request):
        if row is not None:
            await session.delete(row)
    if follow is not None:
        await _count(session, follower, "following_count", -1)
        await _count(session, target, "followers_count", -1)
        await remove_author_from_feed(session, account_id=follower.id, author_id=target.id)
        await remove_from_all_lists(session, owner_id=follower.id, account_id=target.id)
    # As in Mastodon, a follow's notification lives only as long as the follow.
    await notifications.withdraw_notifications(
        session,
        recipient_id=target.id,
        from_account_id=follower.id,
        types=[NotificationType.FOLLOW, NotificationType.FOLLOW_REQUEST],
    )
    await record(
        session,
        Event.UNFOLLOWED if by_follower else Event.FOLLOW_REJECTED,
        account_id=follower.id,
        target_id=target.id,
        uri=ended.uri,
    )
    await session.flush()
    return True


async def unfollow_account(session: AsyncSession, *, follower: Account, target: Account) -> None:
    """Stop following (or withdraw a request); the target's posts leave the follower's home."""
    await _drop_follow(session, follower=follower, target=target, by_follower=True)


async def accept_follow_request(
    session: AsyncSession, *, target: Account, follower_id: int
) -> None:
    """`target` accepts `follower_id`'s request (NotFound if there is none)."""
    request = await session.scalar(
        select(FollowRequest).where(
            FollowRequest.account_id == follower_id, FollowRequest.target_id == target.id
        )
    )
    if request is None:
        raise NotFound("Record not found")
    follower = await _account(session, follower_id)
    await session.delete(request)
    await notifications.withdraw_notifications(
        session,
        recipient_id=target.id,
        from_account_id=follower.id,
        types=[NotificationType.FOLLOW_REQUEST],
    )
    await session.flush()
    await _start_following(
        session,
        follower=follower,
        target=target,
        show_echoes=request.show_echoes,
        notify=request.notify,
        uri=request.uri,
    )
    await record(
        session, Event.FOLLOW_ACCEPTED, account_id=follower.id, target_id=target.id, uri=request.uri
    )


async def reject_follow_request(
    session: AsyncSession, *, target: Account, follower_id: int
) -> None:
    """`target` turns down `follower_id`'s request (NotFound if there is none)."""
    request = await session.scalar(
        select(FollowRequest).where(
            FollowRequest.account_id == follower_id, FollowRequest.target_id == target.id
        )
    )
    if request is None:
        raise NotFound("Record not found")
    follower = await _account(session, follower_id)
    await _drop_follow(session, follower=follower, target=target, by_follower=False)


async def remove_follower(session: AsyncSession, *, account: Account, follower_id: int) -> None:
    """`account` makes `follower_id` stop following it; nothing happens if it did not."""
    follower = await session.get(Account, follower_id)
    if follower is not None:
        await _drop_follow(session, follower=follower, target=account, by_follower=False)


async def block_account(
    session: AsyncSession, *, actor: Account, target: Account, uri: str | None = None
) -> None:
    """Block: ends follows and requests both ways and empties each home of the other's posts.

    Blocking again changes nothing. `uri` is the remote Block activity's id (inbox only).
    """
    if actor.id == target.id:
        raise Invalid(None, "You cannot block yourself")
    existing = await session.scalar(
        select(Block).where(Block.account_id == actor.id, Block.target_id == target.id)
    )
    if existing is not None:
        return
    await _drop_follow(session, follower=actor, target=target, by_follower=True)
    await _drop_follow(session, follower=target, target=actor, by_follower=False)
    # Entries delivered by mention, not by following, go too.
    await remove_author_from_feed(session, account_id=actor.id, author_id=target.id)
    await remove_author_from_feed(session, account_id=target.id, author_id=actor.id)
    block_id = new_id()
    block = Block(
        id=block_id,
        account_id=actor.id,
        target_id=target.id,
        uri=_activity_uri(actor, "blocks", block_id, uri),
    )
    session.add(block)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("Already blocking this account") from exc
    await record(session, Event.BLOCKED, account_id=actor.id, target_id=target.id, uri=block.uri)


async def unblock_account(session: AsyncSession, *, actor: Account, target: Account) -> None:
    block = await session.scalar(
        select(Block).where(Block.account_id == actor.id, Block.target_id == target.id)
    )
    if block is None:
        return
    await session.delete(block)
    await session.flush()
    await record(session, Event.UNBLOCKED, account_id=actor.id, target_id=target.id, uri=block.uri)


async def mute_account(
    session: AsyncSession,
    *,
    actor: Account,
    target: Account,
    hide_notifications: bool = True,
    duration_seconds: int | None = None,
) -> Mute:
    """Mute `target` (indefinitely when `duration_seconds` is None or 0); muting again updates."""
    if actor.id == target.id:
        raise Invalid(None, "You cannot mute yourself")
    if duration_seconds is not None and duration_seconds < 0:
        raise Invalid("duration", "Duration must be a positive number of seconds")
    expires_at = utcnow() + timedelta(seconds=duration_seconds) if duration_seconds else None
    mute = await session.scalar(
        select(Mute).where(Mute.account_id == actor.id, Mute.target_id == target.id)
    )
    if mute is None:
        mute = Mute(account_id=actor.id, target_id=target.id)
        session.add(mute)
    mute.hide_notifications = hide_notifications
    mute.expires_at = expires_at
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("Already muting this account") from exc
    return mute


async def unmute_account(session: AsyncSession, *, actor: Account, target: Account) -> None:
    await session.execute(
        delete(Mute).where(Mute.account_id == actor.id, Mute.target_id == target.id)
    )


__all__ = [
    "FOLLOWING",
    "REQUESTED",
    "accept_follow_request",
    "block_account",
    "follow_account",
    "mute_account",
    "reject_follow_request",
    "remove_follower",
    "unblock_account",
    "unfollow_account",
    "unmute_account",
]
