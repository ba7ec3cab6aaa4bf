"""Creating, changing and deleting filters, their keywords and their posts.

Every change records FILTERS_CHANGED, so the member's open streams tell their apps to reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.filters.models import (
    Filter,
    FilterAction,
    FilterContext,
    FilterKeyword,
    FilterStatus,
)
from parley.domain.filters.queries import get_filter, get_filter_status, get_keyword
from parley.domain.posts.models import Post
from parley.domain.posts.visibility import can_see

MAX_FILTERS = 100
MAX_KEYWORDS = 100  # per filter
MAX_STATUSES = 100  # per filter
MAX_TITLE = 200
MAX_KEYWORD = 200
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """One entry of `keywords_attributes`: new (no id), changed, or removed (`destroy`)."""

    keyword: str | None = None
    whole_word: bool | None = None
    id: int | None = None
    destroy: bool = False


def _title(title: str) -> str:
    title = title.strip()
    if not title:
        raise Invalid("title", "Title can't be blank")
    if len(title) > MAX_TITLE:
        raise Invalid("title", f"Title is too long (maximum is {MAX_TITLE} characters)")
    return title


def _context(context: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(context))
    if not chosen:
        raise Invalid("context", "Context can't be blank")
    if any(c not in FilterContext.ALL for c in chosen):
        raise Invalid("context", "Context contains invalid values")
    return chosen


def _action(action: str) -> str:
    if action not in FilterAction.ALL:
        raise Invalid("filter_action", "Filter action is not included in the list")
    return action


def _keyword(keyword: str) -> str:
    keyword = keyword.strip()
    if not keyword:
        raise Invalid("keyword", "Keyword can't be blank")
    if len(keyword) > MAX_KEYWORD:
        raise Invalid("keyword", f"Keyword is too long (maximum is {MAX_KEYWORD} characters)")
    return keyword


def _expiry(filter_: Filter, expires_in: int | None) -> None:
    if expires_in is None:
        filter_.expires_at = None
        return
    if not 0 < expires_in <= MAX_EXPIRES_IN:
        raise Invalid("expires_in", "Expires in must be a number of seconds in the future")
    filter_.expires_at = utcnow() + timedelta(seconds=expires_in)


async def _count(session: AsyncSession, model: type[FilterKeyword | FilterStatus], fid: int) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(model).where(model.filter_id == fid))
        or 0
    )


async def create_filter(
    session: AsyncSession,
    *,
    account: Account,
    title: str,
    context: Sequence[str],
    action: str = FilterAction.WARN,
    expires_in: int | None = None,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    count = await session.scalar(
        select(func.count()).select_from(Filter).where(Filter.account_id == account.id)
    )
    if (count or 0) >= MAX_FILTERS:
        raise Invalid(None, f"You can have at most {MAX_FILTERS} filters")
    created = Filter(
        account_id=account.id,
        title=_title(title),
        context=_context(context),
        action=_action(action),
    )
    _expiry(created, expires_in)
    session.add(created)
    await session.flush()
    await _change_keywords(session, created, keywords)
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)
    return created


async def update_filter(
    session: AsyncSession,
    *,
    account: Account,
    filter_id: int,
    title: str | None = None,
    context: Sequence[str] | None = None,
    action: str | None = None,
    expires_in: int | None = None,
    change_expiry: bool = False,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    """Change what was given; `change_expiry` with `expires_in` None makes it never expire."""
    found = await get_filter(session, account.id, filter_id)
    if title is not None:
        found.title = _title(title)
    if context is not None:
        found.context = _context(context)
    if action is not None:
        found.action = _action(action)
    if change_expiry:
        _expiry(found, expires_in)
    await _change_keywords(session, found, keywords)
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)
    return found


async def _change_keywords(
    session: AsyncSession, filter_: Filter, changes: Sequence[KeywordChange]
) -> None:
    for change in changes:
        if change.id is None:
            if change.destroy:
                continue
            await add_keyword(
                session,
                filter_=filter_,
                keyword=change.keyword or "",
                whole_word=True if change.whole_word is None else change.whole_word,
                notify=False,
            )
            continue
        row = await session.get(FilterKeyword, change.id)
        if row is None or row.filter_id != filter_.id:
            raise NotFound("Record not found")
        if change.destroy:
            await session.delete(row)
            continue
        if change.keyword is not None:
            row.keyword = _keyword(change.keyword)
        if change.whole_word is not None:
            row.whole_word = change.whole_word
    await session.flush()


async def delete_filter(session: AsyncSession, *, account: Account, filter_id: int) -> None:
    found = await get_filter(session, account.id, filter_id)
    await session.delete(found)
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)


async def add_keyword(
    session: AsyncSession,
    *,
    filter_: Filter,
    keyword: str,
    whole_word: bool = True,
    notify: bool = True,
) -> FilterKeyword:
    if await _count(session, FilterKeyword, filter_.id) >= MAX_KEYWORDS:
        raise Invalid("keyword", f"A filter can have at most {MAX_KEYWORDS} keywords")
    row = FilterKeyword(filter_id=filter_.id, keyword=_keyword(keyword), whole_word=whole_word)
    session.add(row)
    await session.flush()
    if notify:
        await record(session, Event.FILTERS_CHANGED, account_id=filter_.account_id)
    return row


async def update_keyword(
    session: AsyncSession,
    *,
    account: Account,
    keyword_id: int,
    keyword: str | None = None,
    whole_word: bool | None = None,
) -> FilterKeyword:
    row = await get_keyword(session, account.id, keyword_id)
    if keyword is not None:
        row.keyword = _keyword(keyword)
    if whole_word is not None:
        row.whole_word = whole_word
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)
    return row


async def delete_keyword(session: AsyncSession, *, account: Account, keyword_id: int) -> None:
    row = await get_keyword(session, account.id, keyword_id)
    await session.delete(row)
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)


async def add_filter_status(
    session: AsyncSession, *, account: Account, filter_id: int, post_id: int
) -> FilterStatus:
    """Filter one post the member may see; adding it twice is a Conflict (Mastodon: 422)."""
    found = await get_filter(session, account.id, filter_id)
    post = await session.get(Post, post_id)
    if post is None or not await can_see(session, account.id, post):
        raise NotFound("Record not found")
    exists = await session.scalar(
        select(FilterStatus.id).where(
            FilterStatus.filter_id == found.id, FilterStatus.post_id == post.id
        )
    )
    if exists is not None:
        raise Conflict("Status has already been taken")
    if await _count(session, FilterStatus, found.id) >= MAX_STATUSES:
        raise Invalid("status_id", f"A filter can have at most {MAX_STATUSES} posts")
    row = FilterStatus(filter_id=found.id, post_id=post.id)
    session.add(row)
    await session.flush()
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)
    return row


async def delete_filter_status(
    session: AsyncSession, *, account: Account, filter_status_id: int
) -> FilterStatus:
    row = await get_filter_status(session, account.id, filter_status_id)
    await session.delete(row)
    await record(session, Event.FILTERS_CHANGED, account_id=account.id)
    return row
