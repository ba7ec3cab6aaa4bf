"""Reading accounts and users."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account, User
from parley.domain.errors import NotFound


async def get_account(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound("Record not found")
    return account


def not_pending() -> ColumnElement[bool]:
    """SQL condition on Account: not a sign-up still waiting for approval (those stay out of
    sight, in profiles, search and federation, until a moderator approves them)."""
    return ~exists(select(User.id).where(User.account_id == Account.id, User.approved.is_(False)))


async def is_pending(session: AsyncSession, account_id: int) -> bool:
    """Whether the account is a local sign-up still waiting for a moderator's approval."""
    waiting = await session.scalar(
        select(User.id).where(User.account_id == account_id, User.approved.is_(False))
    )
    return waiting is not None


async def get_visible_account(session: AsyncSession, account_id: int) -> Account:
    """get_account, and a sign-up waiting for approval is not found either (as in Mastodon)."""
    account = await get_account(session, account_id)
    if await is_pending(session, account.id):
        raise NotFound("Record not found")
    return account


async def visible_account_ids(session: AsyncSession, account_ids: list[int]) -> set[int]:
    """Which of `account_ids` name an account get_visible_account would return."""
    return {account.id for account in await visible_accounts(session, account_ids)}


async def visible_accounts(session: AsyncSession, account_ids: list[int]) -> list[Account]:
    """The accounts of `account_ids` that get_visible_account would return, in no order."""
    if not account_ids:
        return []
    found = await session.scalars(
        select(Account).where(
            Account.id.in_(account_ids), Account.suspended_at.is_(None), not_pending()
        )
    )
    return list(found)


async def find_local_account(session: AsyncSession, username: str) -> Account | None:
    return await session.scalar(
        select(Account).where(
            Account.username_lower == username.lower(),
            Account.domain.is_(None),
            Account.suspended_at.is_(None),
            not_pending(),
        )
    )


async def get_local_account(session: AsyncSession, username: str) -> Account:
    account = await find_local_account(session, username)
    if account is None:
        raise NotFound("Record not found")
    return account


async def find_account_by_acct(
    session: AsyncSession, username: str, domain: str | None
) -> Account | None:
    """Find an account by username and domain; `domain` None (or this instance's) means local."""
    condition = Account.domain.is_(None) if domain is None else Account.domain == domain.lower()
    return await session.scalar(
        select(Account).where(
            Account.username_lower == username.lower(),
            condition,
            Account.suspended_at.is_(None),
            not_pending(),
        )
    )


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    """A user by e-mail or local username (case-insensitive)."""
    login = login.strip().lstrip("@")
    return await session.scalar(
        select(User)
        .join(Account, Account.id == User.account_id)
        .where(
            or_(
                func.lower(User.email) == login.lower(),
                (Account.username_lower == login.lower()) & Account.domain.is_(None),
            )
        )
    )


async def get_user_for_account(session: AsyncSession, account_id: int) -> User:
    user = await session.scalar(select(User).where(User.account_id == account_id))
    if user is None:
        raise NotFound("Record not found")
    return user


async def count_local_accounts(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.domain.is_(None), Account.suspended_at.is_(None))
        )
        or 0
    )


async def search_accounts(
    session: AsyncSession, query: str, *, limit: int = 20, offset: int = 0
) -> list[Account]:
    """Accounts whose username or display name starts with `query` (local first, then the
    most followed; the id breaks ties so that pages by `offset` neither repeat nor skip)."""
    needle = query.strip().lstrip("@").lower()
    if not needle:
        return []
    username, _, domain = needle.partition("@")
    escaped = username.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    condition = or_(
        Account.username_lower.like(f"{escaped}%", escape="\\"),
        func.lower(Account.display_name).like(f"{escaped}%", escape="\\"),
    )
    stmt = select(Account).where(condition, Account.suspended_at.is_(None), not_pending())
    if domain:
        stmt = stmt.where(Account.domain == domain)
    stmt = (
        stmt.order_by(Account.domain.is_not(None), Account.followers_count.desc(), Account.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
