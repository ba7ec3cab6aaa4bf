"""Who may see a post: the one rule, in two forms that must agree.

`may_see` decides for one post from the facts about viewer and author; `visible_to` is
the same rule as a SQL condition for lists of posts (timelines, threads, search, counts).
Every door (web, Mastodon API, ActivityPub) uses one of these; tests/unit/visibility checks
with hypothesis that both forms give the same answer for every combination.

The rule:
- a suspended author's posts are seen by no one;
- an author always sees their own posts;
- a post held for review by an automated flag is seen by no one else (moderators see it in
  the held queue, not through this rule);
- if either has blocked the other, the viewer sees nothing of the author;
- public and unlisted posts are seen by everyone, signed in or not;
- followers-only posts by the author's followers and the people mentioned in them;
- mentioned-only posts by the people mentioned in them;
- an echo is seen only by those who may see both the echo and the echoed post.

Mutes do not hide a post from someone who asks for it; they keep the muted account out of the
muter's timelines and notifications (see parley.domain.timelines.queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from parley.domain.accounts.models import Account
from parley.domain.posts.models import Mention, Post, Visibility
from parley.domain.relationships.models import Block, Follow


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rule needs to know about one viewer and one post."""

    viewer_id: int | None
    author_id: int
    visibility: str
    author_suspended: bool = False
    follows_author: bool = False
    mentioned: bool = False
    blocked_either_way: bool = False
    held: bool = False


def may_see(facts: Facts) -> bool:
    if facts.author_suspended:
        return False
    if facts.viewer_id is not None and facts.viewer_id == facts.author_id:
        return True
    if facts.held or facts.blocked_either_way:
        return False
    if facts.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    if facts.viewer_id is None:
        return False
    if facts.visibility == Visibility.FOLLOWERS:
        return facts.follows_author or facts.mentioned
    return facts.mentioned


# The viewer as SQL: an id, or a bound parameter in statements built once (timelines).
ViewerId = int | ColumnElement[int]


def _own_visibility(post: type[Post], viewer_id: ViewerId | None) -> ColumnElement[bool]:
    """The rule for a post (not its echoed original), as SQL over `post`'s columns.

    Each subquery keeps its own FROM (`correlate_except`): without it, a caller whose query
    already joins accounts, follows, blocks or mentions would have the subquery silently
    correlated to its rows. No aliases are built here: aliasing a table proxies all its
    columns, which made every call cost milliseconds.
    """
    table = post
    not_suspended = exists(
        select(Account.id)
        .where(Account.id == table.account_id, Account.suspended_at.is_(None))
        .correlate_except(Account)
    )
    listed = table.visibility.in_((Visibility.PUBLIC, Visibility.UNLISTED))
    if viewer_id is None:
        return and_(not_suspended, listed, table.held.is_(False))
    blocked = exists(
        select(Block.id)
        .where(
            or_(
                and_(Block.account_id == viewer_id, Block.target_id == table.account_id),
                and_(Block.account_id == table.account_id, Block.target_id == viewer_id),
            )
        )
        .correlate_except(Block)
    )
    follows = exists(
        select(Follow.id)
        .where(Follow.account_id == viewer_id, Follow.target_id == table.account_id)
        .correlate_except(Follow)
    )
    mentioned = exists(
        select(Mention.post_id)
        .where(Mention.post_id == table.id, Mention.account_id == viewer_id)
        .correlate_except(Mention)
    )
    return and_(
        not_suspended,
        or_(
            table.account_id == viewer_id,
            and_(
                table.held.is_(False),
                ~blocked,
                or_(
                    listed,
                    and_(table.visibility == Visibility.FOLLOWERS, or_(follows, mentioned)),
                    and_(table.visibility == Visibility.MENTIONED, mentioned),
                ),
            ),
        ),
    )


@cache
def _echoed_original() -> type[Post]:
    """One alias for an echo's original, built once (see _own_visibility on aliases)."""
    return aliased(Post, name="echoed_original")


def visible_to(viewer_id: ViewerId | None, post: type[Post] = Post) -> ColumnElement[bool]:
    """SQL condition: `post` (the Post entity or an alias of it) may be seen by the viewer."""
    original = _echoed_original()
    echo_ok = or_(
        post.echo_of_id.is_(None),
        exists(
            select(original.id)
            .where(original.id == post.echo_of_id, _own_visibility(original, viewer_id))
            .correlate_except(original)
        ),
    )
    return and_(_own_visibility(post, viewer_id), echo_ok)


async def facts_for(session: AsyncSession, viewer_id: int | None, post: Post) -> Facts:
    author = await session.get(Account, post.account_id)
    suspended = author is None or author.suspended_at is not None
    if viewer_id is None or viewer_id == post.account_id:
        return Facts(
            viewer_id,
            post.account_id,
            post.visibility,
            author_suspended=suspended,
            held=post.held,
        )
    blocked = await session.scalar(
        select(Block.id)
        .where(
            or_(
                and_(Block.account_id == viewer_id, Block.target_id == post.account_id),
                and_(Block.account_id == post.account_id, Block.target_id == viewer_id),
            )
        )
        .limit(1)
    )
    follows = await session.scalar(
        select(Follow.id).where(Follow.account_id == viewer_id, Follow.target_id == post.account_id)
    )
    mentioned = await session.scalar(
        select(Mention.post_id).where(Mention.post_id == post.id, Mention.account_id == viewer_id)
    )
    return Facts(
        viewer_id=viewer_id,
        author_id=post.account_id,
        visibility=post.visibility,
        author_suspended=suspended,
        follows_author=follows is not None,
        mentioned=mentioned is not None,
        blocked_either_way=blocked is not None,
        held=post.held,
    )


async def can_see(session: AsyncSession, viewer_id: int | None, post: Post) -> bool:
    """Whether the viewer may see this post (and, for an echo, the echoed post)."""
    if not may_see(await facts_for(session, viewer_id, post)):
        return False
    if post.echo_of_id is not None:
        original = await session.get(Post, post.echo_of_id)
        return original is not None and may_see(await facts_for(session, viewer_id, original))
    return True


__all__ = ["Facts", "ViewerId", "can_see", "facts_for", "may_see", "visible_to"]
