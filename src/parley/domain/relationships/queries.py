"""Reading follows, requests, blocks and mutes, and the SQL conditions other reads reuse.

Account lists are returned as `(cursor, Account)` pairs, newest relationship first: the cursor
is the id of the Follow / FollowRequest / Block / Mute row, which is what `max_id`, `since_id`
and `min_id` refer to (adapters build their Link headers from the first and last cursor).

A mute whose `expires_at` has passed counts nowhere: not here, not in timelines, not in
notifications. Expired rows are left in place and simply ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import not_pending
from parley.domain.pagination import PageRequest
from parley.domain.relationships.models import (
    AccountDomainBlock,
    Block,
    Follow,
    FollowRequest,
    Mute,
)

# An account id as SQL: a column (Post.account_id, an alias's) or a plain value.
AccountColumn = ColumnElement[int] | InstrumentedAttribute[int] | int


@dataclass(frozen=True, slots=True)
class Relationship:
    """The viewer's relationship with one account (Mastodon's Relationship entity)."""

    id: int
    following: bool = False
    showing_echoes: bool = False
    notifying: bool = False
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    domain_blocking: bool = False
    requested: bool = False
    requested_by: bool = False
    endorsed: bool = False
    note: str = ""


# A moment as SQL: a value, or a bound parameter in statements built once (timelines).
Moment = datetime | ColumnElement[datetime]


def mute_is_active(now: Moment | None = None) -> ColumnElement[bool]:
    """SQL condition: the Mute row has not expired."""
    return or_(Mute.expires_at.is_(None), Mute.expires_at > (utcnow() if now is None else now))


def active_mute_condition(
    viewer_id: int, account_id: AccountColumn, *, notifications: bool = False
) -> ColumnElement[bool]:
    """SQL condition: the viewer has an active mute on `account_id` (a column or value).

    With `notifications`, only mutes that also hide notifications count.
    """
    conditions = [Mute.account_id == viewer_id, Mute.target_id == account_id, mute_is_active()]
    if notifications:
        conditions.append(Mute.hide_notifications.is_(True))
    return exists(select(Mute.id).where(*conditions))


def excluded_account_ids(
    viewer_id: AccountColumn, *, notifications: bool = False, now: Moment | None = None
) -> Select[tuple[int]]:
    """Ids of accounts the viewer must not hear from: blocked either way, actively muted, or
    on a server the viewer hid (a user-level domain block).

    An uncorrelated subquery, meant for `column.not_in(...)`: both engines evaluate it once per
    statement rather than once per row. `viewer_id` and `now` may be bound parameters.
    """
    mutes = select(Mute.target_id).where(Mute.account_id == viewer_id, mute_is_active(now))
    if notifications:
        mutes = mutes.where(Mute.hide_notifications.is_(True))
    return select(
        union(
            select(Block.target_id).where(Block.account_id == viewer_id),
            select(Block.account_id).where(Block.target_id == viewer_id),
            mutes,
            domain_blocked_account_ids(viewer_id),
        ).subquery()
    )


def _blocked_domains(viewer_id: AccountColumn) -> Select[str]:
    return select(AccountDomainBlock.domain).where(AccountDomainBlock.account_id == viewer_id)


def domain_blocked_account_ids(viewer_id: AccountColumn) -> Select[int]:
    """Ids of the accounts on servers the viewer hid (uses ix_accounts_domain)."""
    return select(Account.id).where(Account.domain.in_(_blocked_domains(viewer_id)))


def blocked_either_way(a: int, b: AccountColumn) -> ColumnElement[bool]:
    """SQL condition: `a` blocks `b` or `b` blocks `a`."""
    return exists(
        select(Block.id).where(
            or_(
                and_(Block.account_id == a, Block.target_id == b),
                and_(Block.account_id == b, Block.target_id == a),
            )
        )
    )


async def is_blocked_either_way(session: AsyncSession, a: int, b: int) -> bool:
    return bool(await session.scalar(select(blocked_either_way(a, b))))


async def get_relationships(
    session: AsyncSession, viewer_id: int, target_ids: list[int]
) -> list[Relationship]:
    """One Relationship per distinct target, in the order asked, in four queries."""
    ids = list(dict.fromkeys(target_ids))
    if not ids:
        return []
    follows = (
        await session.execute(
            select(Follow.account_id, Follow.target_id, Follow.show_echoes, Follow.notify).where(
                or_(
                    and_(Follow.account_id == viewer_id, Follow.target_id.in_(ids)),
                    and_(Follow.target_id == viewer_id, Follow.account_id.in_(ids)),
                )
            )
        )
    ).all()
    requests = (
        await session.execute(
            select(
                FollowRequest.account_id,
                FollowRequest.target_id,
                FollowRequest.show_echoes,
                FollowRequest.notify,
            ).where(
                or_(
                    and_(FollowRequest.account_id == viewer_id, FollowRequest.target_id.in_(ids)),
                    and_(FollowRequest.target_id == viewer_id, FollowRequest.account_id.in_(ids)),
                )
            )
        )
    ).all()
    blocks = (
        await session.execute(
            select(Block.account_id, Block.target_id).where(
                or_(
                    and_(Block.account_id == viewer_id, Block.target_id.in_(ids)),
                    and_(Block.target_id == viewer_id, Block.account_id.in_(ids)),
                )
            )
        )
    ).all()
    mutes = dict(
        (
            await session.execute(
                select(Mute.target_id, Mute.hide_notifications).where(
                    Mute.account_id == viewer_id, Mute.target_id.in_(ids), mute_is_active()
                )
            )
        ).all()
    )
    # Accounts of servers the viewer hid (a user-level domain block).
    domain_blocked = set(
        await session.scalars(
            select(Account.id).where(
                Account.id.in_(ids), Account.domain.in_(_blocked_domains(viewer_id))
            )
        )
    )
    outgoing = {row.target_id: row for row in follows if row.account_id == viewer_id}
    incoming = {row.account_id for row in follows if row.target_id == viewer_id}
    asked = {row.target_id: row for row in requests if row.account_id == viewer_id}
    asked_by = {row.account_id for row in requests if row.target_id == viewer_id}
    blocking = {row.target_id for row in blocks if row.account_id == viewer_id}
    blocked_by = {row.account_id for row in blocks if row.target_id == viewer_id}
    result = []
    for target_id in ids:
        follow = outgoing.get(target_id) or asked.get(target_id)
        result.append(
            Relationship(
                id=target_id,
                following=target_id in outgoing,
                showing_echoes=bool(follow and follow.show_echoes),
                notifying=bool(follow and follow.notify),
                followed_by=target_id in incoming,
                blocking=target_id in blocking,
                blocked_by=target_id in blocked_by,
                muting=target_id in mutes,
                muting_notifications=bool(mutes.get(target_id, False)),
                domain_blocking=target_id in domain_blocked,
                requested=target_id in asked,
                requested_by=target_id in asked_by,
            )
        )
    return result


async def _account_page(
    session: AsyncSession,
    stmt: Select[int, Account],
    key: InstrumentedAttribute[int],
    page: PageRequest,
) -> list[tuple[int, Account]]:
    stmt = stmt.where(Account.suspended_at.is_(None))
    # PageRequest.apply is typed for SQLAlchemy 2.0's Select[tuple[...]]; 2.1's is variadic.
    paged: Select[int, Account] = page.apply(stmt, key)
    rows = (await session.execute(paged)).all()
    return page.newest_first([(cursor, account) for cursor, account in rows])


async def list_followers(
    session: AsyncSession, viewer_id: int | None, account_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    """Who follows `account_id`; empty for a viewer that account blocks (as Mastodon does)."""
    if viewer_id is not None and await _blocks(session, account_id, viewer_id):
        return []
    stmt = (
        select(Follow.id, Account)
        .join(Account, Account.id == Follow.account_id)
        .where(Follow.target_id == account_id)
    )
    return await _account_page(session, stmt, Follow.id, page)


async def list_following(
    session: AsyncSession, viewer_id: int | None, account_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    """Whom `account_id` follows; empty for a viewer that account blocks."""
    if viewer_id is not None and await _blocks(session, account_id, viewer_id):
        return []
    stmt = (
        select(Follow.id, Account)
        .join(Account, Account.id == Follow.target_id)
        .where(Follow.account_id == account_id)
    )
    return await _account_page(session, stmt, Follow.id, page)


async def familiar_followers(
    session: AsyncSession, viewer_id: int, target_ids: list[int]
) -> dict[int, list[Account]]:
    """For each target, the accounts `viewer_id` follows that follow it (Mastodon's "followed
    by ... you know"), oldest follow first; suspended and pending accounts are left out."""
    if not target_ids:
        return {}
    mine = select(Follow.target_id).where(Follow.account_id == viewer_id)
    rows = await session.execute(
        select(Follow.target_id, Account)
        .join(Account, Account.id == Follow.account_id)
        .where(
            Follow.target_id.in_(target_ids),
            Follow.account_id.in_(mine),
            Follow.account_id != viewer_id,
            Account.suspended_at.is_(None),
            not_pending(),
        )
        .order_by(Follow.id)
    )
    found: dict[int, list[Account]] = {}
    for target_id, account in rows.all():
        found.setdefault(target_id, []).append(account)
    return found


async def list_follow_requests(
    session: AsyncSession, account_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    """Pending requests to follow `account_id` (cursor: FollowRequest.id)."""
    stmt = (
        select(FollowRequest.id, Account)
        .join(Account, Account.id == FollowRequest.account_id)
        .where(FollowRequest.target_id == account_id)
    )
    return await _account_page(session, stmt, FollowRequest.id, page)


async def list_blocks(
    session: AsyncSession, account_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    stmt = (
        select(Block.id, Account)
        .join(Account, Account.id == Block.target_id)
        .where(Block.account_id == account_id)
    )
    return await _account_page(session, stmt, Block.id, page)


async def list_mutes(
    session: AsyncSession, account_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    """Active mutes only. `find_mute` gives a mute's expiry and notification setting."""
    stmt = (
        select(Mute.id, Account)
        .join(Account, Account.id == Mute.target_id)
        .where(Mute.account_id == account_id, mute_is_active())
    )
    return await _account_page(session, stmt, Mute.id, page)


async def find_mute(session: AsyncSession, account_id: int, target_id: int) -> Mute | None:
    """The active mute of `target_id` by `account_id`, if any."""
    return await session.scalar(
        select(Mute).where(
            Mute.account_id == account_id, Mute.target_id == target_id, mute_is_active()
        )
    )


async def _blocks(session: AsyncSession, account_id: int, target_id: int) -> bool:
    found = await session.scalar(
        select(Block.id).where(Block.account_id == account_id, Block.target_id == target_id)
    )
    return found is not None
