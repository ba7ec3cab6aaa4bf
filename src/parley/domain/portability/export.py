"""Exports of a member's own relationships, lists and bookmarks as Mastodon's CSV files.

Streamed a page at a time, each page read in its own short session, so a member with a
hundred thousand follows neither holds a transaction open nor fills the server's memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from parley.db.engine import Database
from parley.domain.accounts.models import Account
from parley.domain.interactions.models import Bookmark
from parley.domain.portability.csv_formats import Kind, render_rows
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Block, Follow, Mute
from parley.domain.timelines.models import List, ListMember

PAGE = 1000


def _acct(username: str, domain: str | None, local_domain: str) -> str:
    """Mastodon writes local accounts as user@domain too, so the file works elsewhere."""
    return f"{username}@{domain or local_domain}"


def _query(kind: str, account_id: int) -> tuple[Any, Any]:
    """(rows newest first, the id column the pages are cut on)."""
    if kind == Kind.FOLLOWING:
        return (
            select(Follow.id, Account.username, Account.domain, Follow.show_echoes, Follow.notify)
            .join(Account, Account.id == Follow.target_id)
            .where(Follow.account_id == account_id),
            Follow.id,
        )
    if kind == Kind.BLOCKING:
        return (
            select(Block.id, Account.username, Account.domain)
            .join(Account, Account.id == Block.target_id)
            .where(Block.account_id == account_id),
            Block.id,
        )
    if kind == Kind.MUTING:
        return (
            select(Mute.id, Account.username, Account.domain, Mute.hide_notifications)
            .join(Account, Account.id == Mute.target_id)
            .where(Mute.account_id == account_id),
            Mute.id,
        )
    if kind == Kind.BOOKMARKS:
        return (
            select(Bookmark.id, Post.uri)
            .join(Post, Post.id == Bookmark.post_id)
            .where(Bookmark.account_id == account_id),
            Bookmark.id,
        )
    raise ValueError(kind)


def _line(kind: str, row: Any, local_domain: str) -> tuple[object, ...]:
    if kind == Kind.BOOKMARKS:
        return (row[1],)
    acct = _acct(row[1], row[2], local_domain)
    if kind == Kind.FOLLOWING:
        return (acct, row[3], row[4], "")
    if kind == Kind.MUTING:
        return (acct, row[3])
    return (acct,)


async def _list_rows(db: Database, account_id: int, local_domain: str) -> list[tuple[object, ...]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(List.title, Account.username, Account.domain)
            .join(ListMember, ListMember.list_id == List.id)
            .join(Account, Account.id == ListMember.account_id)
            .where(List.account_id == account_id)
            .order_by(List.id, ListMember.account_id)
        )
        return [(title, _acct(username, domain, local_domain)) for title, username, domain in rows]


async def export_csv(
    db: Database, *, account_id: int, kind: str, local_domain: str
) -> AsyncIterator[str]:
    """The member's `kind` CSV, in chunks of text."""
    if kind not in Kind.ALL:
        raise ValueError(kind)
    if kind == Kind.LISTS:
        yield render_rows(kind, await _list_rows(db, account_id, local_domain), header=True)
        return
    query, id_column = _query(kind, account_id)
    cursor: int | None = None
    first = True
    while True:
        page = query.order_by(id_column.desc()).limit(PAGE)
        if cursor is not None:
            page = page.where(id_column < cursor)
        async with db.reader() as session:
            rows = list(await session.execute(page))
        if rows or first:
            yield render_rows(kind, [_line(kind, r, local_domain) for r in rows], header=first)
        first = False
        if len(rows) < PAGE:
            return
        cursor = rows[-1][0]
