"""Reading a member's filters; someone else's filter is NotFound, as if it did not exist."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Exists, SQLColumnExpression, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.errors import NotFound
from parley.domain.filters.matching import ActiveFilter, FilterMatch, match_filters
from parley.domain.filters.models import Filter, FilterKeyword, FilterStatus
from parley.domain.posts.views import PostView


async def list_filters(session: AsyncSession, account_id: int) -> list[Filter]:
    rows = await session.scalars(
        select(Filter).where(Filter.account_id == account_id).order_by(Filter.id)
    )
    return list(rows)


async def get_filter(session: AsyncSession, account_id: int, filter_id: int) -> Filter:
    found = await session.get(Filter, filter_id)
    if found is None or found.account_id != account_id:
        raise NotFound("Record not found")
    return found


async def keywords_of(
    session: AsyncSession, filter_ids: Sequence[int]
) -> dict[int, list[FilterKeyword]]:
    by_filter: dict[int, list[FilterKeyword]] = defaultdict(list)
    if filter_ids:
        rows = await session.scalars(
            select(FilterKeyword)
            .where(FilterKeyword.filter_id.in_(filter_ids))
            .order_by(FilterKeyword.id)
        )
        for row in rows:
            by_filter[row.filter_id].append(row)
    return by_filter


async def statuses_of(
    session: AsyncSession, filter_ids: Sequence[int]
) -> dict[int, list[FilterStatus]]:
    by_filter: dict[int, list[FilterStatus]] = defaultdict(list)
    if filter_ids:
        rows = await session.scalars(
            select(FilterStatus)
            .where(FilterStatus.filter_id.in_(filter_ids))
            .order_by(FilterStatus.id)
        )
        for row in rows:
            by_filter[row.filter_id].append(row)
    return by_filter


async def get_keyword(session: AsyncSession, account_id: int, keyword_id: int) -> FilterKeyword:
    row = await session.get(FilterKeyword, keyword_id)
    if row is None:
        raise NotFound("Record not found")
    await get_filter(session, account_id, row.filter_id)
    return row


async def get_filter_status(
    session: AsyncSession, account_id: int, filter_status_id: int
) -> FilterStatus:
    row = await session.get(FilterStatus, filter_status_id)
    if row is None:
        raise NotFound("Record not found")
    await get_filter(session, account_id, row.filter_id)
    return row


def has_filters(account_id: SQLColumnExpression[int]) -> Exists:
    """Whether the account has any filter (expired ones too), as a column to read along with
    another statement: most members have none, and then active_filters need not run."""
    return exists().where(Filter.account_id == account_id)


async def active_filters(session: AsyncSession, account_id: int) -> list[ActiveFilter]:
    """The member's unexpired filters with their keywords and posts: three small queries."""
    now = utcnow()
    filters = list(
        await session.scalars(
            select(Filter).where(
                Filter.account_id == account_id,
                or_(Filter.expires_at.is_(None), Filter.expires_at > now),
            )
        )
    )
    ids = [f.id for f in filters]
    keywords = await keywords_of(session, ids)
    statuses = await statuses_of(session, ids)
    return [
        ActiveFilter(
            id=f.id,
            title=f.title,
            context=tuple(f.context),
            action=f.action,
            expires_at=f.expires_at,
            keywords=tuple((k.keyword, k.whole_word) for k in keywords[f.id]),
            post_ids=frozenset(s.post_id for s in statuses[f.id]),
        )
        for f in filters
    ]


def words_of(view: PostView) -> str:
    """What keywords are looked for in: text, content warning, poll options, descriptions."""
    shown = view.shown
    parts = [shown.post.text, shown.post.spoiler_text]
    if shown.poll is not None:
        parts += [str(option.get("title", "")) for option in shown.poll.poll.options]
    parts += [m.description or "" for m in shown.attachments]
    return "\n".join(p for p in parts if p)


def matches_for(
    filters: Sequence[ActiveFilter], view: PostView, context: str | None
) -> list[FilterMatch]:
    """The filters a post (or, for an echo, the echoed post) matches in `context`."""
    if not filters:
        return []
    ids = [view.post.id] if view.echo_of is None else [view.post.id, view.echo_of.post.id]
    return match_filters(filters, post_ids=ids, words=words_of(view), context=context)
