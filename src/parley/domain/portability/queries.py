"""Reads about moves: where an account went."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account


async def find_moved_to(session: AsyncSession, account: Account) -> Account | None:
    """The account `account` moved to, if it moved (and the new one still exists)."""
    if account.moved_to_id is None:
        return None
    return await session.get(Account, account.moved_to_id)


def moved_to_in(account: Account, targets: Mapping[int, Account]) -> Account | None:
    """The account `account` moved to, from `targets` (what moved_targets loaded), or None."""
    return None if account.moved_to_id is None else targets.get(account.moved_to_id)


async def moved_targets(session: AsyncSession, accounts: Iterable[Account]) -> dict[int, Account]:
    """The accounts those of `accounts` that moved went to, by id: one query for a whole
    page, none when no one on it moved."""
    wanted = {a.moved_to_id for a in accounts if a.moved_to_id is not None}
    if not wanted:
        return {}
    return {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(wanted)))}
