"""Writing home feeds: fan-out on write, so a new post is in every follower's home at once."""

from __future__ import annotations

from sqlalchemy import Select, insert, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from parley.domain.accounts.models import Account
from parley.domain.posts.models import Mention, Post, Visibility
from parley.domain.relationships.models import Follow
from parley.domain.timelines.models import FeedEntry


async def fan_out_post(session: AsyncSession, post: Post) -> None:
    """Put a new post (or echo) in the home feeds of the local accounts that should see it.

    One INSERT ... SELECT, whatever the follower count. Who gets it:
    - the author (if local);
    - local followers, for every visibility but mentioned-only; for an echo only followers who
      did not hide this account's echoes; for a reply to someone else only followers who also
      follow the person replied to (as Mastodon does);
    - local accounts mentioned in the post.
    """
    author_id = post.account_id
    local = select(Account.id).where(Account.domain.is_(None))
    audiences: list[Select[int]] = [
        select(Account.id.label("account_id")).where(
            Account.id == author_id, Account.domain.is_(None)
        )
    ]
    if post.visibility != Visibility.MENTIONED:
        followers = select(Follow.account_id.label("account_id")).where(
            Follow.target_id == author_id, Follow.account_id.in_(local)
        )
        if post.echo_of_id is not None:
            followers = followers.where(Follow.show_echoes.is_(True))
        replied_to = post.in_reply_to_account_id
        if replied_to is not None and replied_to != author_id:
            also_follows = aliased(Follow)
            followers = followers.where(
                Follow.account_id.in_(
                    select(also_follows.account_id).where(also_follows.target_id == replied_to)
                )
            )
        audiences.append(followers)
    audiences.append(
        select(Mention.account_id.label("account_id")).where(
            Mention.post_id == post.id, Mention.account_id.in_(local)
        )
    )
    recipients = union(*audiences).subquery()
    await session.execute(
        insert(FeedEntry).from_select(
            ["account_id", "post_id", "author_id"],
            select(recipients.c.account_id, literal(post.id), literal(author_id)),
        )
    )
