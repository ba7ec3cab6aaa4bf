"""What the mirror may show, read from the database: public profiles and public posts.

The rule is the domain's visibility rule for an anonymous reader (`visible_to(None)`: no
suspended or deleted author, plus whatever moderation hides from everyone) narrowed to
`public`: unlisted, followers-only and mentioned-only posts never reach the mirror. Echoes are
left out (they are someone else's post). Only local members get pages; public replies from
other servers appear in a local post's thread, linked to their home server.

Each post and account gets a `stamp`: a digest of everything a page shows of it, so the mirror
re-renders a page exactly when one of the things on it changed.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account, User
from parley.domain.media.models import MediaAttachment, MediaState
from parley.domain.posts.models import Poll, Post, Visibility
from parley.domain.posts.views import PostView, hydrate
from parley.domain.posts.visibility import visible_to

MAX_ANCESTORS = 20
MAX_DESCENDANTS = 200


def digest(*parts: Any) -> str:
    """A short, stable fingerprint of JSON-able parts."""
    raw = json.dumps(parts, default=str, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def mirrorable() -> ColumnElement[bool]:
    """SQL condition: a post the mirror may show (public, not an echo, seen by anyone)."""
    return and_(Post.visibility == Visibility.PUBLIC, Post.echo_of_id.is_(None), visible_to(None))


@dataclass(slots=True)
class PostRow:
    """The shape of one mirrorable post: enough to plan pages without loading its content."""

    id: int
    account_id: int
    local: bool
    thread_id: int
    in_reply_to_id: int | None
    quote_of_id: int | None
    created_at: datetime
    stamp: str


@dataclass(slots=True)
class Snapshot:
    """Everything the mirror plans from, read in one transaction."""

    profiles: list[Account]  # local public profiles, by username
    posts: dict[int, PostRow]  # every mirrorable post the pages show (local and remote)
    account_stamps: dict[int, str]
    media_keys: dict[int, list[str]]  # post id -> local media store keys to copy
    by_author: dict[int, list[int]] = field(default_factory=dict)  # oldest first
    children: dict[int, list[int]] = field(default_factory=dict)  # oldest first

    def local_posts(self) -> list[PostRow]:
        profile_ids = {a.id for a in self.profiles}
        return [p for p in self.posts.values() if p.local and p.account_id in profile_ids]

    def ancestors(self, post: PostRow) -> list[PostRow]:
        """The public posts this one replies to, oldest first (a hidden parent ends the chain)."""
        chain: list[PostRow] = []
        seen = {post.id}
        cursor = post.in_reply_to_id
        while cursor is not None and cursor in self.posts and len(chain) < MAX_ANCESTORS:
            if cursor in seen:
                break
            seen.add(cursor)
            parent = self.posts[cursor]
            chain.append(parent)
            cursor = parent.in_reply_to_id
        chain.reverse()
        return chain

    def descendants(self, post: PostRow) -> list[tuple[PostRow, int]]:
        """Public replies below this one, depth first, each with its depth (1 = direct)."""
        found: list[tuple[PostRow, int]] = []
        stack = [(child, 1) for child in reversed(self.children.get(post.id, []))]
        seen = {post.id}
        while stack and len(found) < MAX_DESCENDANTS:
            current, depth = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.append((self.posts[current], depth))
            stack.extend((c, depth + 1) for c in reversed(self.children.get(current, [])))
        return found


def _account_stamp(account: Account) -> str:
    return digest(
        account.username,
        account.domain,
        account.display_name,
        account.note_html,
        account.fields,
        account.avatar_url,
        account.header_url,
        account.bot,
        account.locked,
        account.url,
        account.created_at,
    )


async def read_snapshot(session: AsyncSession) -> Snapshot:
    profiles = list(
        await session.scalars(
            select(Account)
            .join(User, User.account_id == Account.id)
            .where(Account.domain.is_(None), Account.suspended_at.is_(None), User.approved)
            .order_by(Account.username_lower)
        )
    )
    profile_ids = {a.id for a in profiles}
    local_public = and_(Post.local, Post.visibility == Visibility.PUBLIC)
    local_threads = select(Post.thread_id).where(local_public, Post.thread_id.is_not(None))
    quoted = select(Post.quote_of_id).where(local_public, Post.quote_of_id.is_not(None))
    rows = await session.execute(
        select(
            Post.id,
            Post.account_id,
            Post.local,
            Post.thread_id,
            Post.in_reply_to_id,
            Post.quote_of_id,
            Post.created_at,
            Post.edited_at,
            Post.content_html,
            Post.spoiler_text,
            Post.sensitive,
            Post.language,
            Post.url,
            Post.in_reply_to_account_id,
            Post.has_poll,
            Post.has_media,
        )
        .where(
            mirrorable(),
            or_(Post.local, Post.thread_id.in_(local_threads), Post.id.in_(quoted)),
        )
        .order_by(Post.id)
    )
    raw = list(rows)
    polls = await _poll_stamps(session, [r.id for r in raw if r.has_poll])
    media, media_keys = await _media_stamps(session, [r.id for r in raw if r.has_media])
    posts: dict[int, PostRow] = {}
    for r in raw:
        stamp = digest(
            r.content_html, r.spoiler_text, r.sensitive, r.language, r.edited_at, r.url,
            r.in_reply_to_account_id, r.quote_of_id, polls.get(r.id), media.get(r.id),
        )  # fmt: skip
        posts[r.id] = PostRow(
            id=r.id,
            account_id=r.account_id,
            local=r.local,
            thread_id=r.thread_id if r.thread_id is not None else r.id,
            in_reply_to_id=r.in_reply_to_id,
            quote_of_id=r.quote_of_id,
            created_at=r.created_at,
            stamp=stamp,
        )
    by_author: dict[int, list[int]] = defaultdict(list)
    children: dict[int, list[int]] = defaultdict(list)
    for post in posts.values():  # ids ascend: oldest first
        if post.local and post.account_id in profile_ids:
            by_author[post.account_id].append(post.id)
        if post.in_reply_to_id in posts:
            children[post.in_reply_to_id].append(post.id)
    authors = {p.account_id for p in posts.values()} | profile_ids
    stamps = {a.id: _account_stamp(a) for a in profiles}
    others = authors - stamps.keys()
    if others:
        for account in await session.scalars(select(Account).where(Account.id.in_(others))):
            stamps[account.id] = _account_stamp(account)
    return Snapshot(
        profiles=profiles,
        posts=posts,
        account_stamps=stamps,
        media_keys=media_keys,
        by_author=dict(by_author),
        children=dict(children),
    )


async def _poll_stamps(session: AsyncSession, post_ids: list[int]) -> dict[int, str]:
    stamps: dict[int, str] = {}
    for chunk in _chunks(post_ids):
        for poll in await session.scalars(select(Poll).where(Poll.post_id.in_(chunk))):
            stamps[poll.post_id] = digest(
                poll.options, poll.multiple, poll.hide_totals, poll.expires_at, poll.voters_count
            )
    return stamps


async def _media_stamps(
    session: AsyncSession, post_ids: list[int]
) -> tuple[dict[int, str], dict[int, list[str]]]:
    found: dict[int, list[Any]] = defaultdict(list)
    keys: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(post_ids):
        rows = await session.scalars(
            select(MediaAttachment)
            .where(MediaAttachment.post_id.in_(chunk), MediaAttachment.state == MediaState.READY)
            .order_by(MediaAttachment.post_id, MediaAttachment.position)
        )
        for media in rows:
            if media.post_id is None:
                continue
            found[media.post_id].append(
                (media.id, media.file_key, media.small_key, media.remote_url, media.description)
            )
            if media.remote_url is None:
                keys[media.post_id].extend(k for k in (media.file_key, media.small_key) if k)
    return {k: digest(v) for k, v in found.items()}, dict(keys)


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def load_views(session: AsyncSession, post_ids: Iterable[int]) -> dict[int, PostView]:
    """Hydrated views (as an anonymous reader sees them) of the given posts, by id."""
    wanted = list(dict.fromkeys(post_ids))
    views: dict[int, PostView] = {}
    for chunk in _chunks(wanted):
        # Checked again here: on PostgreSQL a post may have turned private since the snapshot.
        posts = list(await session.scalars(select(Post).where(Post.id.in_(chunk), mirrorable())))
        for view in await hydrate(session, None, posts):
            views[view.post.id] = view
    return views
