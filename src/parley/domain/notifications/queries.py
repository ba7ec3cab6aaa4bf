"""Reading notifications and markers.

A notification is listed (and counted as unread) only while it still makes sense to its
recipient: the actor is not suspended, neither blocks the other, the recipient does not mute
the actor with notifications hidden (active mutes only), and the post it is about, if any, is
one the recipient may still see. Newest first, paged by notification id.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import UTCDateTime, utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import NotFound
from parley.domain.notifications.models import Marker, Notification
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post
from parley.domain.posts.visibility import ViewerId, visible_to
from parley.domain.relationships.queries import Moment, excluded_account_ids

UNREAD_CAP = 100


def _listable(account_id: ViewerId, now: Moment | None = None) -> ColumnElement[bool]:
    actor_ok = exists(
        select(Account.id).where(
            Account.id == Notification.from_account_id, Account.suspended_at.is_(None)
        )
    )
    post_ok = or_(
        Notification.post_id.is_(None),
        exists(select(Post.id).where(Post.id == Notification.post_id, visible_to(account_id))),
    )
    return and_(
        Notification.account_id == account_id,
        Notification.from_account_id.not_in(
            excluded_account_ids(account_id, notifications=True, now=now)
        ),
        actor_ok,
        post_ok,
    )


async def list_notifications(
    session: AsyncSession,
    account_id: int,
    page: PageRequest,
    *,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
) -> list[Notification]:
    """The account's notifications, newest first; `types` keeps, `exclude_types` drops types.

    Unknown type names match nothing (clients send types newer than this server knows).
    """
    stmt = select(Notification).where(_listable(account_id))
    if types:
        stmt = stmt.where(Notification.type.in_(types))
    if exclude_types:
        stmt = stmt.where(Notification.type.not_in(exclude_types))
    # PageRequest.apply is typed for SQLAlchemy 2.0's Select[tuple[...]]; 2.1's is variadic.
    paged: Select[Notification] = page.apply(stmt, Notification.id)
    rows = await session.scalars(paged)
    return page.newest_first(list(rows.all()))


async def get_notification(
    session: AsyncSession, account_id: int, notification_id: int
) -> Notification:
    """One of the account's listable notifications; NotFound for anyone else's."""
    found = await session.scalar(
        select(Notification).where(Notification.id == notification_id, _listable(account_id))
    )
    if found is None:
        raise NotFound("Record not found")
    return found


async def unread_count(session: AsyncSession, account_id: int, *, cap: int = UNREAD_CAP) -> int:
    """Listable notifications newer than the "notifications" marker, counted up to `cap`.

    The cap bounds the work for someone who never reads (apps show "99+"); Mastodon's
    unread_count endpoint caps the same way.
    """
    values = {"account_id": account_id, "now": utcnow(), "cap": cap}
    return int(await session.scalar(_unread_statement(), values) or 0)


def unread_count_column() -> ScalarSelect[int]:
    """unread_count as a column to read along with another statement, with the same bound
    values: "account_id", "now" and "cap"."""
    return _unread_statement().scalar_subquery()


@cache
def _unread_statement() -> Select[int]:
    """Built once (every page's navigation counts unread notifications), with the account,
    the clock and the cap as bound parameters; the marker is read in the same query."""
    account_id = bindparam("account_id", type_=BigInteger())
    last_read = (
        select(Marker.last_read_id)
        .where(Marker.account_id == account_id, Marker.timeline == "notifications")
        .scalar_subquery()
    )
    unread = (
        select(Notification.id)
        .where(
            _listable(account_id, bindparam("now", type_=UTCDateTime())),
            Notification.id > func.coalesce(last_read, 0),
        )
        .limit(bindparam("cap", type_=Integer()))
        .subquery()
    )
    return select(func.count()).select_from(unread)


async def get_markers(
    session: AsyncSession, account_id: int, timelines: list[str] | None = None
) -> dict[str, Marker]:
    """The account's markers by timeline name; only those asked for (all when None)."""
    stmt = select(Marker).where(Marker.account_id == account_id)
    if timelines is not None:
        stmt = stmt.where(Marker.timeline.in_(timelines))
    return {marker.timeline: marker for marker in (await session.scalars(stmt)).all()}
