"""Reading timelines. Every function returns posts newest first, one page at a time.

Shapes: `home_timeline`, `local_timeline`, `public_timeline`, `tag_timeline`,
`profile_timeline` and `list_timeline` return `list[Post]` (the cursor is the post id);
`bookmarks_timeline` and `upvoted_timeline` return `list[tuple[int, Post]]` where the int is
the Bookmark / Upvote id, which is what `max_id` / `since_id` / `min_id` refer to there.

What every timeline leaves out, for a signed-in viewer:
- whatever `visible_to` forbids (audience, suspended authors, blocks either way, for an echo
  also the echoed post);
- posts by, echoes of and replies to accounts the viewer blocks, is blocked by or actively
  mutes, except the viewer's own posts. A profile still shows its owner's posts to a viewer
  who mutes them (they asked for that profile), and bookmarks and upvotes are shown whatever
  the mutes (the viewer saved them), as in Mastodon;
- in home and list timelines, echoes by accounts whose echoes the viewer hid.

Index use: home and list read the feed_entries primary key (account_id, post_id) backwards;
profile ix_posts_account_id_id; local ix_posts_local_public (local, visibility, id); tag
ix_post_tags_tag_id_post_id. The block/mute filter's subqueries are uncorrelated, so each is
evaluated once per statement, not once per row. tests/unit/timelines/test_query_plans.py
checks the SQLite plans.

The home timeline, read on every visit, is built once per page shape with the viewer, the
clock and the cursor as bound parameters (`_home_statement`): building this statement took
longer than running it, and a statement built once keeps its SQLAlchemy cache key too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from parley.db.base import UTCDateTime, utcnow
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import get_account
from parley.domain.interactions.models import Bookmark, Upvote
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post, PostTag, Tag, Visibility
from parley.domain.posts.visibility import ViewerId, visible_to
from parley.domain.relationships.models import Follow
from parley.domain.relationships.queries import Moment, excluded_account_ids
from parley.domain.timelines.lists import get_list
from parley.domain.timelines.models import FeedEntry, List, ListMember, ReplyPolicy

# Bound parameters of the statements built once: the viewer, the clock, the page.
VIEWER: BindParameter[int] = bindparam("viewer_id", type_=BigInteger())
NOW: BindParameter[Any] = bindparam("now", type_=UTCDateTime())
MAX_ID: BindParameter[int] = bindparam("max_id", type_=BigInteger())
SINCE_ID: BindParameter[int] = bindparam("since_id", type_=BigInteger())
MIN_ID: BindParameter[int] = bindparam("min_id", type_=BigInteger())
LIMIT: BindParameter[int] = bindparam("limit", type_=Integer())


def shown_to(
    viewer_id: ViewerId | None, *, muted_ok: int | None = None, now: Moment | None = None
) -> ColumnElement[bool]:
    """SQL condition on Post: visible to the viewer and not from anyone they block or mute.

    `muted_ok` is an author whose own posts stay shown even if muted (the profile asked for).
    `viewer_id` and `now` (for mutes' expiry) may be bound parameters (see VIEWER, NOW).
    """
    if viewer_id is None:
        return visible_to(None)
    excluded = excluded_account_ids(viewer_id, now=now)
    original = aliased(Post)
    author_ok: ColumnElement[bool] = Post.account_id.not_in(excluded)
    if muted_ok is not None:
        author_ok = or_(Post.account_id == muted_ok, author_ok)
    return and_(
        visible_to(viewer_id),
        or_(
            Post.account_id == viewer_id,
            and_(
                author_ok,
                or_(
                    Post.in_reply_to_account_id.is_(None),
                    Post.in_reply_to_account_id.not_in(excluded),
                ),
                or_(
                    Post.echo_of_id.is_(None),
                    ~exists(
                        select(original.id).where(
                            original.id == Post.echo_of_id, original.account_id.in_(excluded)
                        )
                    ),
                ),
            ),
        ),
    )


def not_limited(viewer_id: int | None) -> ColumnElement[bool]:
    """Public timelines leave out limited (silenced) accounts, except for their followers."""
    limited = select(Account.id).where(Account.silenced_at.is_not(None))
    if viewer_id is None:
        return Post.account_id.not_in(limited)
    followed = select(Follow.target_id).where(Follow.account_id == viewer_id)
    return or_(
        Post.account_id == viewer_id,
        Post.account_id.not_in(limited),
        Post.account_id.in_(followed),
    )


def _echo_shown(viewer_id: ViewerId) -> ColumnElement[bool]:
    """Not an echo by an account whose echoes the viewer hid (Follow.show_echoes false)."""
    return or_(
        Post.echo_of_id.is_(None),
        ~exists(
            select(Follow.id).where(
                Follow.account_id == viewer_id,
                Follow.target_id == Post.account_id,
                Follow.show_echoes.is_(False),
            )
        ),
    )


def _not_a_reply_to_others() -> ColumnElement[bool]:
    """A top-level post, or a reply to oneself (a thread): Mastodon's "without replies"."""
    return or_(
        and_(Post.in_reply_to_id.is_(None), Post.in_reply_to_account_id.is_(None)),
        Post.in_reply_to_account_id == Post.account_id,
    )


async def _posts(
    session: AsyncSession, stmt: Select[Post], page: PageRequest, key: InstrumentedAttribute[int]
) -> list[Post]:
    # PageRequest.apply is typed for SQLAlchemy 2.0's Select[tuple[...]]; 2.1's is variadic.
    paged: Select[Post] = page.apply(stmt, key)
    rows = await session.scalars(paged)
    return page.newest_first(list(rows.all()))


async def _saved(
    session: AsyncSession,
    stmt: Select[int, Post],
    page: PageRequest,
    key: InstrumentedAttribute[int],
) -> list[tuple[int, Post]]:
    paged: Select[int, Post] = page.apply(stmt, key)
    rows = (await session.execute(paged)).all()
    return page.newest_first([(cursor, post) for cursor, post in rows])


# Which cursors a page request carries: (max_id, since_id, min_id) given or not.
PageShape = tuple[bool, bool, bool]


def _shape(page: PageRequest) -> PageShape:
    return (page.max_id is not None, page.since_id is not None, page.min_id is not None)


def _bound_page(
    stmt: Select[Post], shape: PageShape, key: InstrumentedAttribute[int]
) -> Select[Post]:
    """`PageRequest.apply` with the cursor and limit as bound parameters (see _page_values)."""
    max_id, since_id, min_id = shape
    if max_id:
        stmt = stmt.where(key < MAX_ID)
    if since_id:
        stmt = stmt.where(key > SINCE_ID)
    if min_id:
        return stmt.where(key > MIN_ID).order_by(key.asc()).limit(LIMIT)
    return stmt.order_by(key.desc()).limit(LIMIT)


def _page_values(page: PageRequest, viewer_id: int) -> dict[str, Any]:
    return {
        "viewer_id": viewer_id,
        "now": utcnow(),
        "max_id": page.max_id,
        "since_id": page.since_id,
        "min_id": page.min_id,
        "limit": page.limit,
    }


@cache
def _home_statement(shape: PageShape) -> Select[Post]:
    exclusive_members = (
        select(ListMember.account_id)
        .join(List, List.id == ListMember.list_id)
        .where(List.account_id == VIEWER, List.exclusive.is_(True))
    )
    stmt = (
        select(Post)
        .join(FeedEntry, FeedEntry.post_id == Post.id)
        .where(
            FeedEntry.account_id == VIEWER,
            FeedEntry.author_id.not_in(exclusive_members),
            shown_to(VIEWER, now=NOW),
            _echo_shown(VIEWER),
        )
    )
    return _bound_page(stmt, shape, FeedEntry.post_id)


async def home_timeline(session: AsyncSession, viewer_id: int, page: PageRequest) -> list[Post]:
    """The viewer's home: what was fanned out to them, less members of their exclusive lists."""
    stmt = _home_statement(_shape(page))
    rows = await session.scalars(stmt, _page_values(page, viewer_id))
    return page.newest_first(list(rows.all()))


async def local_timeline(
    session: AsyncSession, viewer_id: int | None, page: PageRequest, *, only_media: bool = False
) -> list[Post]:
    """Public posts written on this instance; no echoes, no replies to others."""
    return await public_timeline(session, viewer_id, page, local=True, only_media=only_media)


async def public_timeline(
    session: AsyncSession,
    viewer_id: int | None,
    page: PageRequest,
    *,
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> list[Post]:
    """Public posts known here (`local` / `remote` narrow it); no echoes, no replies to others."""
    stmt = select(Post).where(
        Post.visibility == Visibility.PUBLIC,
        Post.echo_of_id.is_(None),
        _not_a_reply_to_others(),
        shown_to(viewer_id),
        not_limited(viewer_id),
    )
    # `= true()` rather than `IS true`: PostgreSQL only uses an index for equality.
    if local:
        stmt = stmt.where(Post.local == true())
    elif remote:
        stmt = stmt.where(Post.local == false())
    if only_media:
        stmt = stmt.where(Post.has_media == true())
    return await _posts(session, stmt, page, Post.id)


def _tag_name(name: str) -> str:
    """A tag as asked (any case, with or without '#') as its stored name."""
    return name.strip().lstrip("#").lower()


async def _tag_id(session: AsyncSession, name: str) -> int | None:
    return await session.scalar(select(Tag.id).where(Tag.name == _tag_name(name)))


# Mastodon reads at most this many names from each of any[], all[] and none[].
TAG_NAMES_PER_MODE = 4


async def _tag_ids(session: AsyncSession, names: Sequence[str]) -> list[int]:
    """The ids of the known tags among `names` (unknown ones are ignored, as in Mastodon)."""
    wanted = [_tag_name(n) for n in names[:TAG_NAMES_PER_MODE]]
    if not wanted:
        return []
    return list(await session.scalars(select(Tag.id).where(Tag.name.in_(wanted))))


def _has_tag(tag_ids: list[int]) -> ColumnElement[bool]:
    # An alias: the outer statement may join PostTag itself (it must not be correlated away).
    other = aliased(PostTag)
    return exists(select(other.post_id).where(other.post_id == Post.id, other.tag_id.in_(tag_ids)))


async def tag_timeline(
    session: AsyncSession,
    viewer_id: int | None,
    tag_name: str,
    page: PageRequest,
    *,
    local: bool = False,
    only_media: bool = False,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
) -> list[Post]:
    """Public posts carrying #tag_name (any case, with or without '#'); empty if unknown.

    As Mastodon's hashtag columns: `any_of` adds tags a post may carry instead, each of
    `all_of` must also be carried, none of `none_of` may be."""
    tag_id = await _tag_id(session, tag_name)
    if tag_id is None:
        return []
    shown = (
        Post.visibility == Visibility.PUBLIC,
        Post.echo_of_id.is_(None),
        shown_to(viewer_id),
        not_limited(viewer_id),
    )
    extra = await _tag_ids(session, any_of)
    key: InstrumentedAttribute[int]
    if extra:
        stmt = select(Post).where(_has_tag([tag_id, *extra]), *shown)
        key = Post.id
    else:
        stmt = (
            select(Post)
            .join(PostTag, PostTag.post_id == Post.id)
            .where(PostTag.tag_id == tag_id, *shown)
        )
        key = PostTag.post_id
    for required in await _tag_ids(session, all_of):
        stmt = stmt.where(_has_tag([required]))
    excluded = await _tag_ids(session, none_of)
    if excluded:
        stmt = stmt.where(~_has_tag(excluded))
    if local:
        stmt = stmt.where(Post.local == true())
    if only_media:
        stmt = stmt.where(Post.has_media == true())
    return await _posts(session, stmt, page, key)


async def profile_timeline(
    session: AsyncSession,
    viewer_id: int | None,
    account_id: int,
    page: PageRequest,
    *,
    with_replies: bool = False,
    only_media: bool = False,
    exclude_echoes: bool = False,
    tagged: str | None = None,
) -> list[Post]:
    """An account's posts and echoes as the viewer may see them (NotFound if no such account).

    Without replies, replies to others are left out but threads (self-replies) stay;
    `only_media` also leaves out echoes, as Mastodon does.
    """
    await get_account(session, account_id)
    stmt = select(Post).where(
        Post.account_id == account_id, shown_to(viewer_id, muted_ok=account_id)
    )
    if not with_replies:
        stmt = stmt.where(_not_a_reply_to_others())
    if exclude_echoes or only_media:
        stmt = stmt.where(Post.echo_of_id.is_(None))
    if only_media:
        stmt = stmt.where(Post.has_media == true())
    if tagged is not None:
        tag_id = await _tag_id(session, tagged)
        if tag_id is None:
            return []
        stmt = stmt.where(
            exists(
                select(PostTag.post_id).where(PostTag.post_id == Post.id, PostTag.tag_id == tag_id)
            )
        )
    return await _posts(session, stmt, page, Post.id)


async def list_timeline(
    session: AsyncSession, viewer_id: int, list_id: int, page: PageRequest
) -> list[Post]:
    """Posts and echoes by the list's members from the owner's home feed (NotFound if not theirs).

    Members are accounts the owner follows, so their posts are in the owner's feed already.
    Replies to others follow `replies_policy`: FOLLOWED shows them (the feed only has replies
    to people the owner follows), LIST only replies to members, NONE none; replies to oneself
    and to the owner always show.
    """
    owned = await get_list(session, viewer_id, list_id)
    members = select(ListMember.account_id).where(ListMember.list_id == list_id)
    stmt = (
        select(Post)
        .join(FeedEntry, FeedEntry.post_id == Post.id)
        .where(
            FeedEntry.account_id == viewer_id,
            FeedEntry.author_id.in_(members),
            shown_to(viewer_id),
            _echo_shown(viewer_id),
        )
    )
    if owned.replies_policy != ReplyPolicy.FOLLOWED:
        allowed = [
            Post.in_reply_to_account_id.is_(None),
            Post.in_reply_to_account_id == Post.account_id,
            Post.in_reply_to_account_id == viewer_id,
        ]
        if owned.replies_policy == ReplyPolicy.LIST:
            allowed.append(Post.in_reply_to_account_id.in_(members))
        stmt = stmt.where(or_(*allowed))
    return await _posts(session, stmt, page, FeedEntry.post_id)


async def bookmarks_timeline(
    session: AsyncSession, viewer_id: int, page: PageRequest
) -> list[tuple[int, Post]]:
    """`(bookmark id, Post)` pairs, latest bookmark first; posts the viewer may no longer see
    are left out."""
    stmt = (
        select(Bookmark.id, Post)
        .join(Post, Post.id == Bookmark.post_id)
        .where(Bookmark.account_id == viewer_id, visible_to(viewer_id))
    )
    return await _saved(session, stmt, page, Bookmark.id)


async def upvoted_timeline(
    session: AsyncSession, viewer_id: int, page: PageRequest
) -> list[tuple[int, Post]]:
    """`(upvote id, Post)` pairs, latest upvote first; as `bookmarks_timeline`."""
    stmt = (
        select(Upvote.id, Post)
        .join(Post, Post.id == Upvote.post_id)
        .where(Upvote.account_id == viewer_id, visible_to(viewer_id))
    )
    return await _saved(session, stmt, page, Upvote.id)
