"""The read model every adapter renders posts from, built for a whole page at once.

`hydrate` loads what a page of posts needs (authors, echoed originals, quotes, mentions,
tags, polls, media, the viewer's own upvotes, echoes, bookmarks, pins, mutes) with a fixed number
of `IN (...)` queries, whatever the number of posts: no query per post. A page without echoes,
quotes, polls or media takes two: the accounts, and one UNION ALL of the mentions, tags and the
viewer's flags. Each query of one SQLite round trip costs more than its SQL here, so fewer is
faster. The statements are built once, with expanding bound parameters for the id lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Select,
    String,
    bindparam,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import UTCDateTime, utcnow
from parley.domain.accounts.models import Account
from parley.domain.interactions.models import Bookmark, Pin, Upvote
from parley.domain.media.models import MediaAttachment
from parley.domain.posts.models import Mention, Poll, PollVote, Post, PostTag, Tag
from parley.domain.posts.visibility import visible_to
from parley.domain.relationships.models import Mute


@dataclass(frozen=True, slots=True)
class TagView:
    name: str  # lower case, as in URLs
    display_name: str  # as first written


@dataclass(slots=True)
class PollView:
    poll: Poll
    expired: bool
    own_choices: list[int] = field(default_factory=list)  # the viewer's votes
    totals_hidden: bool = False  # hide_totals, for anyone but the author until it ends

    @property
    def voted(self) -> bool:
        return bool(self.own_choices)


@dataclass(slots=True)
class PostView:
    """A post with everything needed to show it to one viewer."""

    post: Post
    account: Account
    account_moved_to: Account | None = None  # where the author moved, if they did
    echo_of: PostView | None = None  # for an echo: the echoed post
    quote: PostView | None = None  # the quoted post, when the viewer may see it
    quote_hidden: bool = False  # a quoted post exists but the viewer may not see it
    mentions: list[Account] = field(default_factory=list)
    tags: list[TagView] = field(default_factory=list)
    poll: PollView | None = None
    attachments: list[MediaAttachment] = field(default_factory=list)
    reply_to_account: Account | None = None  # for "replying to @x"
    upvoted: bool = False
    echoed: bool = False
    bookmarked: bool = False
    pinned: bool = False
    muted: bool = False  # the viewer mutes the author

    @property
    def edited_at(self) -> datetime | None:
        return self.post.edited_at

    @property
    def shown(self) -> PostView:
        """What a reader sees: the echoed post for an echo, else this one."""
        return self.echo_of if self.echo_of is not None else self


@dataclass(slots=True)
class _Loaded:
    posts: dict[int, Post] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    mentions: dict[int, list[int]] = field(default_factory=dict)
    tags: dict[int, list[TagView]] = field(default_factory=dict)
    polls: dict[int, Poll] = field(default_factory=dict)
    media: dict[int, list[MediaAttachment]] = field(default_factory=dict)
    choices: dict[int, list[int]] = field(default_factory=dict)
    flags: dict[str, set[int]] = field(default_factory=dict)
    visible_quotes: set[int] = field(default_factory=set)
    viewer_id: int | None = None


async def hydrate(
    session: AsyncSession, viewer_id: int | None, posts: list[Post]
) -> list[PostView]:
    """PostViews for `posts` (already filtered for the viewer), in the same order."""
    if not posts:
        return []
    loaded = _Loaded(posts={post.id: post for post in posts}, viewer_id=viewer_id)
    echoed = {p.echo_of_id for p in posts if p.echo_of_id is not None} - loaded.posts.keys()
    await _load_posts(session, loaded, echoed)
    # Quotes of the page's posts and of echoed originals, one level deep.
    quoted = {p.quote_of_id for p in loaded.posts.values() if p.quote_of_id is not None}
    if quoted:
        rows = await session.scalars(select(Post).where(Post.id.in_(quoted), visible_to(viewer_id)))
        for post in rows:
            loaded.posts.setdefault(post.id, post)
            loaded.visible_quotes.add(post.id)
    ids = list(loaded.posts)
    await _load_extras(session, loaded, viewer_id, ids)
    await _load_accounts(session, loaded, ids)
    await _load_polls(session, loaded, viewer_id)
    await _load_media(session, loaded)
    return [_view(loaded, post, depth=0) for post in posts]


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True, type_=BigInteger())


@cache
def _posts_by_id() -> Select[Post]:
    return select(Post).where(Post.id.in_(_ids("ids")))


@cache
def _accounts_by_id() -> Select[Account]:
    """The accounts asked for and those mentioned in the posts (mentions come in parallel)."""
    mentioned = select(Mention.account_id).where(Mention.post_id.in_(_ids("post_ids")))
    return select(Account).where(or_(Account.id.in_(_ids("ids")), Account.id.in_(mentioned)))


@cache
def _extras(signed_in: bool) -> CompoundSelect[str, int, int | None, str | None, str | None]:
    """Mentions, tags and (for a viewer) their upvotes, echoes, bookmarks, pins and mutes of
    the page, as (kind, id, account id, tag name, tag display name) rows."""
    ids = _ids("post_ids")
    no_id = null().cast(BigInteger())
    no_text = null().cast(String())
    parts: list[Any] = [  # rows of one shape, whatever each part's column types
        select(literal("mention"), Mention.post_id, Mention.account_id, no_text, no_text).where(
            Mention.post_id.in_(ids)
        ),
        select(literal("tag"), PostTag.post_id, no_id, Tag.name, Tag.display_name)
        .join(Tag, Tag.id == PostTag.tag_id)
        .where(PostTag.post_id.in_(ids)),
    ]
    if signed_in:
        viewer = bindparam("viewer_id", type_=BigInteger())
        now = bindparam("now", type_=UTCDateTime())
        flags: list[tuple[str, Any, Any, Any]] = [
            ("upvoted", Upvote.post_id, Upvote.account_id, Upvote.post_id.in_(ids)),
            ("echoed", Post.echo_of_id, Post.account_id, Post.echo_of_id.in_(ids)),
            ("bookmarked", Bookmark.post_id, Bookmark.account_id, Bookmark.post_id.in_(ids)),
            ("pinned", Pin.post_id, Pin.account_id, Pin.post_id.in_(ids)),
        ]
        for name, target, owner, condition in flags:
            parts.append(
                select(literal(name), target, no_id, no_text, no_text).where(
                    owner == viewer, condition
                )
            )
        parts.append(
            select(literal("muted"), Mute.target_id, no_id, no_text, no_text).where(
                Mute.account_id == viewer,
                Mute.target_id.in_(_ids("authors")),
                or_(Mute.expires_at.is_(None), Mute.expires_at > now),
            )
        )
    return union_all(*parts)


async def _load_posts(session: AsyncSession, loaded: _Loaded, ids: set[int]) -> None:
    if ids:
        for post in await session.scalars(_posts_by_id(), {"ids": list(ids)}):
            loaded.posts[post.id] = post


async def _load_extras(
    session: AsyncSession, loaded: _Loaded, viewer_id: int | None, ids: list[int]
) -> None:
    """Mentions, tags and the viewer's flags, in one query."""
    loaded.flags = {name: set() for name in ("upvoted", "echoed", "bookmarked", "pinned", "muted")}
    values: dict[str, Any] = {"post_ids": ids}
    if viewer_id is not None:
        authors = list({post.account_id for post in loaded.posts.values()})
        values.update(viewer_id=viewer_id, now=utcnow(), authors=authors)
    rows = await session.execute(_extras(viewer_id is not None), values)
    for kind, target_id, account_id, name, display_name in rows:
        if kind == "mention" and account_id is not None:
            loaded.mentions.setdefault(target_id, []).append(account_id)
        elif kind == "tag":
            loaded.tags.setdefault(target_id, []).append(TagView(str(name), str(display_name)))
        elif target_id is not None:
            loaded.flags[kind].add(target_id)


async def _load_accounts(session: AsyncSession, loaded: _Loaded, ids: list[int]) -> None:
    wanted: set[int] = set()
    for post in loaded.posts.values():
        wanted.add(post.account_id)
        if post.in_reply_to_account_id is not None:
            wanted.add(post.in_reply_to_account_id)
    rows = await session.scalars(_accounts_by_id(), {"ids": list(wanted), "post_ids": ids})
    for account in rows:
        loaded.accounts[account.id] = account
    # Authors who moved: their new accounts, in one more query only when there are any.
    moved = {
        a.moved_to_id for a in loaded.accounts.values() if a.moved_to_id is not None
    } - loaded.accounts.keys()
    if moved:
        for account in await session.scalars(select(Account).where(Account.id.in_(moved))):
            loaded.accounts[account.id] = account


async def _load_polls(session: AsyncSession, loaded: _Loaded, viewer_id: int | None) -> None:
    with_poll = [p.id for p in loaded.posts.values() if p.has_poll]
    if not with_poll:
        return
    for poll in await session.scalars(select(Poll).where(Poll.post_id.in_(with_poll))):
        loaded.polls[poll.post_id] = poll
    if viewer_id is None or not loaded.polls:
        return
    by_poll = {poll.id: post_id for post_id, poll in loaded.polls.items()}
    rows = await session.execute(
        select(PollVote.poll_id, PollVote.choice)
        .where(PollVote.poll_id.in_(by_poll), PollVote.account_id == viewer_id)
        .order_by(PollVote.choice)
    )
    for poll_id, choice in rows:
        loaded.choices.setdefault(by_poll[poll_id], []).append(choice)


async def _load_media(session: AsyncSession, loaded: _Loaded) -> None:
    with_media = [p.id for p in loaded.posts.values() if p.has_media]
    if not with_media:
        return
    rows = await session.scalars(
        select(MediaAttachment)
        .where(MediaAttachment.post_id.in_(with_media))
        .order_by(MediaAttachment.post_id, MediaAttachment.position)
    )
    for media in rows:
        if media.post_id is not None:
            loaded.media.setdefault(media.post_id, []).append(media)


def _view(loaded: _Loaded, post: Post, *, depth: int) -> PostView:
    flags = loaded.flags
    view = PostView(
        post=post,
        account=(author := loaded.accounts[post.account_id]),
        account_moved_to=(
            None if author.moved_to_id is None else loaded.accounts.get(author.moved_to_id)
        ),
        mentions=[
            loaded.accounts[a] for a in loaded.mentions.get(post.id, []) if a in loaded.accounts
        ],
        tags=loaded.tags.get(post.id, []),
        attachments=loaded.media.get(post.id, []),
        reply_to_account=(
            None
            if post.in_reply_to_account_id is None
            else loaded.accounts.get(post.in_reply_to_account_id)
        ),
        upvoted=post.id in flags["upvoted"],
        echoed=post.id in flags["echoed"],
        bookmarked=post.id in flags["bookmarked"],
        pinned=post.id in flags["pinned"],
        muted=post.account_id in flags["muted"],
    )
    poll = loaded.polls.get(post.id)
    if poll is not None:
        expired = poll.expires_at is not None and poll.expires_at <= utcnow()
        hidden = poll.hide_totals and not expired and loaded.viewer_id != post.account_id
        view.poll = PollView(poll, expired, loaded.choices.get(post.id, []), hidden)
    if post.echo_of_id is not None and post.echo_of_id in loaded.posts:
        view.echo_of = _view(loaded, loaded.posts[post.echo_of_id], depth=depth)
    # Quotes are shown one level deep, as Mastodon does.
    if post.quote_of_id is not None and depth == 0:
        if post.quote_of_id in loaded.visible_quotes:
            view.quote = _view(loaded, loaded.posts[post.quote_of_id], depth=1)
        else:
            view.quote_hidden = True
    return view
