"""Reads about moves: where an account went."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account


async def find_moved_to(session: AsyncSession, account: Account) -> Account | None:
    """The account `account` moved to, if it moved (and the new one still exists)."""
    if account.moved_to_id is None:
        return None
    return await session.get(Account, account.moved_to_id)
