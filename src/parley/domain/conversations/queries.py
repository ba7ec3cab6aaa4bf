"""Conversations: threads of mentioned-only posts the viewer wrote or is mentioned in.

Derived at read time from posts (one GROUP BY over the viewer's mentioned-only posts), so
there is nothing to keep in step when posts are written, edited or deleted. The conversation's
id is its thread id; its last post is the newest mentioned-only post there the viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, Subquery, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.conversations.models import ConversationMark
from parley.domain.errors import NotFound
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Mention, Post, Visibility
from parley.domain.timelines.queries import shown_to


@dataclass(slots=True)
class Conversation:
    thread_id: int
    last_post: Post
    unread: bool
    participants: list[Account]  # everyone in it but the viewer (the viewer if alone)


def _latest(viewer_id: int) -> tuple[Select[int, int, int | None], Subquery]:
    """(thread_id, last_id) of the viewer's mentioned-only threads, not removed."""
    mine = or_(
        Post.account_id == viewer_id,
        Post.id.in_(select(Mention.post_id).where(Mention.account_id == viewer_id)),
    )
    grouped = (
        select(Post.thread_id.label("thread_id"), func.max(Post.id).label("last_id"))
        .where(Post.visibility == Visibility.MENTIONED, mine, shown_to(viewer_id))
        .group_by(Post.thread_id)
        .subquery()
    )
    return (
        select(grouped.c.thread_id, grouped.c.last_id, ConversationMark.read_up_to)
        .outerjoin(
            ConversationMark,
            and_(
                ConversationMark.account_id == viewer_id,
                ConversationMark.thread_id == grouped.c.thread_id,
            ),
        )
        .where(
            or_(
                ConversationMark.removed_up_to.is_(None),
                grouped.c.last_id > ConversationMark.removed_up_to,
            )
        ),
        grouped,
    )


async def _build(
    session: AsyncSession, viewer_id: int, rows: list[tuple[int, int, int | None]]
) -> list[Conversation]:
    if not rows:
        return []
    posts = {
        p.id: p
        for p in await session.scalars(select(Post).where(Post.id.in_([r[1] for r in rows])))
    }
    threads = [r[0] for r in rows]
    # Participants: authors and mentioned accounts of the threads' mentioned-only posts.
    direct = select(Post.id, Post.account_id, Post.thread_id).where(
        Post.thread_id.in_(threads), Post.visibility == Visibility.MENTIONED
    )
    people: dict[int, set[int]] = {t: set() for t in threads}
    for _pid, author, thread in await session.execute(direct):
        if thread is not None:
            people[thread].add(author)
    mentioned = (
        select(Post.thread_id, Mention.account_id)
        .join(Mention, Mention.post_id == Post.id)
        .where(Post.thread_id.in_(threads), Post.visibility == Visibility.MENTIONED)
    )
    for thread, account in await session.execute(mentioned):
        if thread is not None:
            people[thread].add(account)
    ids = {a for group in people.values() for a in group} | {viewer_id}
    accounts = {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(ids)))}
    found = []
    for thread, last_id, read_up_to in rows:
        last = posts.get(last_id)
        if last is None:
            continue
        others = sorted(people[thread] - {viewer_id}) or [viewer_id]
        found.append(
            Conversation(
                thread_id=thread,
                last_post=last,
                unread=last.account_id != viewer_id and last_id > (read_up_to or 0),
                participants=[accounts[a] for a in others if a in accounts],
            )
        )
    return found


async def list_conversations(
    session: AsyncSession, viewer_id: int, page: PageRequest
) -> list[Conversation]:
    """Newest first by last post; max_id/since_id/min_id refer to the last post's id."""
    stmt, grouped = _latest(viewer_id)
    last = grouped.c.last_id
    if page.max_id is not None:
        stmt = stmt.where(last < page.max_id)
    if page.since_id is not None:
        stmt = stmt.where(last > page.since_id)
    if page.min_id is not None:
        stmt = stmt.where(last > page.min_id).order_by(last.asc())
    else:
        stmt = stmt.order_by(last.desc())
    stmt = stmt.limit(page.limit)
    rows = [(t, last, read) for t, last, read in await session.execute(stmt)]
    return await _build(session, viewer_id, page.newest_first(rows))


async def get_conversation(session: AsyncSession, viewer_id: int, thread_id: int) -> Conversation:
    stmt, grouped = _latest(viewer_id)
    row = (await session.execute(stmt.where(grouped.c.thread_id == thread_id))).first()
    if row is None:
        raise NotFound("Record not found")
    (found,) = await _build(session, viewer_id, [(row[0], row[1], row[2])])
    return found
