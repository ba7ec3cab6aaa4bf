"""Sign-ups waiting for approval: moderators approve them (the member can sign in) or reject
them (the account is removed and its name freed). The applicant is e-mailed either way and
every decision is audited."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account, User
from parley.domain.accounts.service import mail_user
from parley.domain.errors import Conflict, NotFound
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.permissions import Permission, require


async def list_pending(session: AsyncSession, *, moderator: Account) -> list[tuple[Account, User]]:
    """Applications oldest first, as a queue."""
    await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    rows = await session.execute(
        select(Account, User)
        .join(User, User.account_id == Account.id)
        .where(User.approved.is_(False))
        .order_by(User.id)
    )
    return [(account, user) for account, user in rows.all()]


async def list_accounts(
    session: AsyncSession, *, moderator: Account, pending: bool, limit: int = 100
) -> list[tuple[Account, User]]:
    """For moderation apps: the pending sign-ups, or local accounts newest first."""
    if pending:
        return (await list_pending(session, moderator=moderator))[:limit]
    await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    rows = await session.execute(
        select(Account, User)
        .join(User, User.account_id == Account.id)
        .order_by(Account.id.desc())
        .limit(limit)
    )
    return [(account, user) for account, user in rows.all()]


async def _pending(session: AsyncSession, account_id: int) -> tuple[Account, User]:
    row = (
        await session.execute(
            select(Account, User)
            .join(User, User.account_id == Account.id)
            .where(Account.id == account_id)
        )
    ).first()
    if row is None:
        raise NotFound("This account does not exist (it may have been rejected already)")
    account, user = row
    if user.approved:
        raise Conflict("This account is not waiting for approval")
    return account, user


async def approve_account(session: AsyncSession, *, moderator: Account, account_id: int) -> User:
    await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    account, user = await _pending(session, account_id)
    user.approved = True
    await write_audit(
        session, actor=moderator, action="account.approve", target_type="account",
        target_id=account.id, acct=account.acct(),
    )  # fmt: skip
    await mail_user(
        session, user, "Your account was approved",
        f"Welcome! Your application as @{account.username} was approved: you can sign in now.\n",
    )  # fmt: skip
    return user


async def reject_account(
    session: AsyncSession, *, moderator: Account, account_id: int, reason: str = ""
) -> None:
    """The pending account never posted anything: it is deleted outright."""
    await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    account, user = await _pending(session, account_id)
    reason = reason.strip()[:1000]
    await write_audit(
        session, actor=moderator, action="account.reject", target_type="account",
        target_id=account.id, reason=reason, acct=account.acct(),
    )  # fmt: skip
    await mail_user(
        session, user, "Your application was not accepted",
        f"Your application as @{account.username} was not accepted."
        + (f"\n\nThe moderators' reason: {reason}\n" if reason else "\n"),
    )  # fmt: skip
    await session.execute(delete(User).where(User.id == user.id))
    await session.execute(delete(Account).where(Account.id == account.id))
