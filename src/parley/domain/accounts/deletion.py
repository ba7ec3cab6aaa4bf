"""A member deleting their own account: their content goes for good, their name stays taken.

What is deleted: every post and echo (and with them, by cascade, their edits, mentions, tags,
polls, upvotes, bookmarks, pins, feed entries and the echoes others made of them), their
upvotes, bookmarks, pins and poll votes, follows and follow requests both ways, blocks and
mutes both ways, their lists and list memberships, notifications to and from them, read
markers, web sessions, password resets and the User row. Every counter those rows fed (other
accounts' followers, following and posts counts; other posts' replies, echoes, quotes and
upvotes counts; poll totals) is corrected first.

What stays: the Account row, as a suspended tombstone with its profile emptied, so the
username can never be registered again and its key can sign a federated Delete; and
mentions of it in other members' posts, which are their content.
"""

from __future__ import annotations

from sqlalchemy import Delete, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, PasswordReset, User, WebSession
from parley.domain.context import DomainContext
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.interactions.models import Bookmark, Pin, Upvote
from parley.domain.media.service import forget_account_media
from parley.domain.notifications.models import Marker, Notification
from parley.domain.oauth.models import IdempotencyKey, OAuthAccessToken, OAuthAuthorizationCode
from parley.domain.posts.counting import not_below_zero
from parley.domain.posts.models import Poll, PollVote, Post
from parley.domain.posts.writing import counted_on_parents
from parley.domain.relationships.models import Block, Follow, FollowRequest, Mute
from parley.domain.timelines.models import FeedEntry, List, ListMember
from parley.infra.storage import open_store


async def delete_account(
    session: AsyncSession, ctx: DomainContext, *, account: Account, password: str
) -> Account:
    """Delete a local member's account after checking their password; returns the tombstone."""
    user = await session.scalar(select(User).where(User.account_id == account.id))
    if user is None:
        raise Forbidden("Only a member of this server can delete their account here")
    if not await ctx.passwords.verify(user.password_hash, password):
        raise Invalid("password", "Password is not correct")
    tombstone = await session.get(Account, account.id)
    if tombstone is None:
        raise NotFound("Record not found")
    me = account.id

    await _uncount_posts(session, me)
    await _uncount_upvotes(session, me)
    await _withdraw_poll_votes(session, me)
    await _uncount_follows(session, me)
    both_ways = (
        (Follow, Follow.account_id, Follow.target_id),
        (FollowRequest, FollowRequest.account_id, FollowRequest.target_id),
        (Block, Block.account_id, Block.target_id),
        (Mute, Mute.account_id, Mute.target_id),
        (Notification, Notification.account_id, Notification.from_account_id),
        (FeedEntry, FeedEntry.account_id, FeedEntry.author_id),
    )
    statements: list[Delete] = [
        delete(table).where(or_(one == me, other == me)) for table, one, other in both_ways
    ]
    statements += [
        delete(Upvote).where(Upvote.account_id == me),
        delete(Bookmark).where(Bookmark.account_id == me),
        delete(Pin).where(Pin.account_id == me),
        delete(ListMember).where(ListMember.account_id == me),
        delete(List).where(List.account_id == me),
        delete(Marker).where(Marker.account_id == me),
        delete(Post).where(Post.account_id == me),
        delete(WebSession).where(WebSession.user_id == user.id),
        # Apps lose access with the account (tokens, pending codes, replay keys).
        delete(OAuthAccessToken).where(OAuthAccessToken.account_id == me),
        delete(OAuthAuthorizationCode).where(OAuthAuthorizationCode.account_id == me),
        delete(IdempotencyKey).where(IdempotencyKey.account_id == me),
        delete(PasswordReset).where(PasswordReset.user_id == user.id),
        delete(User).where(User.id == user.id),
    ]
    # Uploads and pictures go now: a deleted member's files must not stay reachable.
    await forget_account_media(
        session,
        open_store(ctx.settings),
        account_id=me,
        urls=[tombstone.avatar_url, tombstone.header_url],
    )
    await session.flush()
    for statement in statements:
        await session.execute(statement.execution_options(synchronize_session=False))
    # Rows deleted in SQL (and by cascade) must not linger in the session as if alive.
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, (Post, User)) and getattr(loaded, "account_id", None) == me:
            session.expunge(loaded)

    tombstone.suspended_at = utcnow()
    tombstone.display_name = ""
    tombstone.note = ""
    tombstone.note_html = ""
    tombstone.fields = []
    tombstone.avatar_url = None
    tombstone.header_url = None
    tombstone.also_known_as = []
    tombstone.moved_to_id = None
    tombstone.discoverable = False
    tombstone.followers_count = 0
    tombstone.following_count = 0
    tombstone.posts_count = 0
    tombstone.last_post_at = None
    await session.flush()
    await record(session, Event.ACCOUNT_DELETED, account_id=me)
    return tombstone


async def _subtract_per_row(
    session: AsyncSession,
    counter: InstrumentedAttribute[int],
    link: InstrumentedAttribute[int | None],
    me: int,
) -> None:
    """posts.counter -= how many of my posts point at that post through `link`."""
    mine = aliased(Post)
    pointing = getattr(mine, link.key)
    how_many = (
        select(func.count())
        .select_from(mine)
        .where(mine.account_id == me, pointing == Post.id, counted_on_parents(mine))
        .scalar_subquery()
    )
    await session.execute(
        update(Post)
        .where(Post.account_id != me, Post.id.in_(select(pointing).where(mine.account_id == me)))
        .values({counter.key: not_below_zero(counter - how_many)})
        .execution_options(synchronize_session=False)
    )


async def _uncount_posts(session: AsyncSession, me: int) -> None:
    await _subtract_per_row(session, Post.replies_count, Post.in_reply_to_id, me)
    await _subtract_per_row(session, Post.echoes_count, Post.echo_of_id, me)
    await _subtract_per_row(session, Post.quotes_count, Post.quote_of_id, me)
    # Others' echoes of my posts disappear with them (cascade): their posts_count drops.
    echo, original = aliased(Post), aliased(Post)
    echoes_of_mine = (
        select(echo.account_id)
        .join(original, original.id == echo.echo_of_id)
        .where(original.account_id == me)
    )
    how_many = (
        select(func.count())
        .select_from(echo)
        .join(original, original.id == echo.echo_of_id)
        .where(original.account_id == me, echo.account_id == Account.id)
        .scalar_subquery()
    )
    await session.execute(
        update(Account)
        .where(Account.id != me, Account.id.in_(echoes_of_mine))
        .values(posts_count=not_below_zero(Account.posts_count - how_many))
        .execution_options(synchronize_session=False)
    )


async def _uncount_upvotes(session: AsyncSession, me: int) -> None:
    await session.execute(
        update(Post)
        .where(
            Post.account_id != me,
            Post.id.in_(select(Upvote.post_id).where(Upvote.account_id == me)),
        )
        .values(upvotes_count=not_below_zero(Post.upvotes_count - 1))
        .execution_options(synchronize_session=False)
    )


async def _withdraw_poll_votes(session: AsyncSession, me: int) -> None:
    """Take my votes out of other members' polls (my own polls go with my posts)."""
    rows = await session.execute(
        select(Poll, PollVote.choice)
        .join(PollVote, PollVote.poll_id == Poll.id)
        .join(Post, Post.id == Poll.post_id)
        .where(PollVote.account_id == me, Post.account_id != me)
    )
    choices: dict[int, tuple[Poll, list[int]]] = {}
    for poll, choice in rows:
        choices.setdefault(poll.id, (poll, []))[1].append(choice)
    for poll, chosen in choices.values():
        poll.options = [
            {**option, "votes_count": max(0, option["votes_count"] - chosen.count(index))}
            for index, option in enumerate(poll.options)
        ]
        poll.votes_count = max(0, poll.votes_count - len(chosen))
        poll.voters_count = max(0, poll.voters_count - 1)
    await session.flush()
    await session.execute(
        delete(PollVote)
        .where(PollVote.account_id == me)
        .execution_options(synchronize_session=False)
    )


async def _uncount_follows(session: AsyncSession, me: int) -> None:
    for counter, who in (
        (Account.followers_count, select(Follow.target_id).where(Follow.account_id == me)),
        (Account.following_count, select(Follow.account_id).where(Follow.target_id == me)),
    ):
        await session.execute(
            update(Account)
            .where(Account.id != me, Account.id.in_(who))
            .values({counter.key: not_below_zero(counter - 1)})
            .execution_options(synchronize_session=False)
        )
