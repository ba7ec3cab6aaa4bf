"""Counting: a post's length the way Mastodon counts it, and the stored counters on rows.

Counters (posts_count, replies_count, ...) change with one UPDATE ... SET c = c + n, never by
read-modify-write in Python, so concurrent transactions cannot lose each other's changes,
and a counter never goes below zero even if it had drifted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, case, literal, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.posts.formatting import TOKEN_RE

URL_LENGTH = 23  # every link counts as this many characters, whatever its length


def post_length(text: str) -> int:
    """Characters `text` counts for: links count 23, `@user@domain` counts as `@user`."""
    total = 0
    position = 0
    for match in TOKEN_RE.finditer(text):
        total += match.start() - position
        position = match.end()
        if match.group("url"):
            total += URL_LENGTH
        elif match.group("user"):
            total += 1 + len(match.group("user"))
        else:
            total += len(match.group(0))
    return total + len(text) - position


def not_below_zero(value: ColumnElement[int]) -> ColumnElement[int]:
    return case((value < 0, literal(0)), else_=value)


async def add_to_counter(
    session: AsyncSession,
    column: InstrumentedAttribute[int],
    ids: int | Iterable[int],
    delta: int,
) -> None:
    """Add `delta` to `column` of the rows `ids` (one UPDATE; clamps at zero)."""
    wanted = [ids] if isinstance(ids, int) else list(ids)
    if not wanted or delta == 0:
        return
    entity: Any = column.class_
    rows = await session.execute(
        update(entity)
        .where(entity.id.in_(wanted))
        .values({column.key: not_below_zero(column + delta)})
        .returning(entity.id, column)
        .execution_options(synchronize_session=False)
    )
    _refresh_loaded(session, entity, column.key, rows.all())


def _refresh_loaded(
    session: AsyncSession, entity: type[Any], key: str, rows: Iterable[tuple[int, Any]]
) -> None:
    """Give objects already in the session the new values, without a lazy load (async)."""
    for row_id, value in rows:
        loaded = session.identity_map.get(identity_key(entity, row_id))
        if loaded is not None:
            set_committed_value(loaded, key, value)


async def count_new_post(session: AsyncSession, account_id: int) -> None:
    """The author wrote (or echoed) something: posts_count and last_post_at."""
    now = utcnow()
    rows = await session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(posts_count=Account.posts_count + 1, last_post_at=now)
        .returning(Account.id, Account.posts_count)
        .execution_options(synchronize_session=False)
    )
    _refresh_loaded(session, Account, "posts_count", rows.all())
    _refresh_loaded(session, Account, "last_post_at", [(account_id, now)])
