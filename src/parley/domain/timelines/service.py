"""Writing home feeds: fan-out on write, so a new post is in every follower's home at once.

A FeedEntry says "this post was delivered to this home"; whether it is *shown* is decided again
at read time (parley.domain.timelines.queries), so blocks, mutes, hidden echoes and edits to a
post's audience apply to entries written before them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    delete,
    exists,
    insert,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from parley.domain.accounts.models import Account
from parley.domain.posts.models import Mention, Post, Visibility
from parley.domain.posts.visibility import visible_to
from parley.domain.relationships.models import Follow
from parley.domain.tags.feed import tag_followers
from parley.domain.timelines.models import FeedEntry

BACKFILL_LIMIT = 40


def _not_in_feed(
    account_id: ColumnElement[int] | int, post_id: InstrumentedAttribute[int] | int
) -> ColumnElement[bool]:
    entry = aliased(FeedEntry)
    return ~exists(
        select(entry.post_id).where(entry.account_id == account_id, entry.post_id == post_id)
    )


async def fan_out_post(session: AsyncSession, post: Post) -> None:
    """Put a new post (or echo) in the home feeds of the local accounts that should see it.

    One INSERT ... SELECT, whatever the follower count; running it twice adds nothing. Who gets
    it:
    - the author (if local);
    - local followers, for every visibility but mentioned-only; for an echo only followers who
      did not hide this account's echoes; for a reply to someone else only the person replied
      to and followers who also follow them (as Mastodon does);
    - local accounts mentioned in the post;
    - local followers of the post's hashtags (public originals only; see tags.feed).
    """
    author_id = post.account_id
    audiences: list[Select[int]] = [
        select(Account.id.label("account_id")).where(
            Account.id == author_id, Account.domain.is_(None)
        )
    ]
    if post.visibility != Visibility.MENTIONED:
        # Joining accounts (a primary-key probe per follower) rather than `IN (local accounts)`,
        # which would read every local account on each post.
        followers = (
            select(Follow.account_id.label("account_id"))
            .join(Account, Account.id == Follow.account_id)
            .where(Follow.target_id == author_id, Account.domain.is_(None))
        )
        if post.echo_of_id is not None:
            followers = followers.where(Follow.show_echoes.is_(True))
        replied_to = post.in_reply_to_account_id
        if replied_to is not None and replied_to != author_id:
            also_follows = aliased(Follow)
            followers = followers.where(
                or_(
                    Follow.account_id == replied_to,
                    exists(
                        select(also_follows.id).where(
                            also_follows.account_id == Follow.account_id,
                            also_follows.target_id == replied_to,
                        )
                    ),
                )
            )
        audiences.append(followers)
    audiences.append(
        select(Mention.account_id.label("account_id"))
        .join(Account, Account.id == Mention.account_id)
        .where(Mention.post_id == post.id, Account.domain.is_(None))
    )
    if (by_tag := tag_followers(post)) is not None:
        audiences.append(by_tag)
    recipients = union(*audiences).subquery()
    await session.execute(
        insert(FeedEntry).from_select(
            ["account_id", "post_id", "author_id"],
            select(
                recipients.c.account_id,
                literal(post.id, BigInteger),
                literal(author_id, BigInteger),
            ).where(_not_in_feed(recipients.c.account_id, post.id)),
        )
    )


async def backfill_author(
    session: AsyncSession,
    *,
    account_id: int,
    author_id: int,
    show_echoes: bool = True,
    limit: int = BACKFILL_LIMIT,
) -> None:
    """Put the author's recent posts that the account may see into its home (on a new follow).

    The same audience rules as `fan_out_post`: replies to others only if the account follows
    the person replied to, echoes only if it shows this author's echoes.
    """
    followed = aliased(Follow)
    candidates = (
        select(literal(account_id, BigInteger), Post.id, literal(author_id, BigInteger))
        .where(
            Post.account_id == author_id,
            or_(
                Post.in_reply_to_account_id.is_(None),
                Post.in_reply_to_account_id == author_id,
                Post.in_reply_to_account_id == account_id,
                exists(
                    select(followed.id).where(
                        followed.account_id == account_id,
                        followed.target_id == Post.in_reply_to_account_id,
                    )
                ),
            ),
            visible_to(account_id),
            _not_in_feed(account_id, Post.id),
        )
        .order_by(Post.id.desc())
        .limit(limit)
    )
    if not show_echoes:
        candidates = candidates.where(Post.echo_of_id.is_(None))
    await session.execute(
        insert(FeedEntry).from_select(["account_id", "post_id", "author_id"], candidates)
    )


async def remove_author_from_feed(
    session: AsyncSession, *, account_id: int, author_id: int
) -> None:
    """Take everything `author_id` put into `account_id`'s home out again (unfollow, block)."""
    await session.execute(
        delete(FeedEntry).where(
            FeedEntry.account_id == account_id, FeedEntry.author_id == author_id
        )
    )
