"""Moderation test helpers: staff members and one-transaction calls of the services."""

from __future__ import annotations

from typing import Any

from parley.domain.accounts.models import Account
from parley.domain.moderation import appeals, service
from parley.domain.moderation.models import Appeal, Report, Strike
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import member


async def staff(members: Members, username: str, role: str = "moderator") -> Account:
    user = await members.create(username, role=role)
    async with members.runtime.db.reader() as session:
        account = await session.get(Account, user.account_id)
    assert account is not None
    return account


async def report(runtime: Runtime, reporter: Account | None, target: Account, **kw: Any) -> Report:
    async with runtime.db.transaction() as session:
        return await service.file_report(
            session, reporter=reporter, target_account_id=target.id, **kw
        )


async def act(runtime: Runtime, moderator: Account, **kw: Any) -> Strike | None:
    async with runtime.db.transaction() as session:
        return await service.take_action(session, moderator=moderator, **kw)


async def appeal(runtime: Runtime, account: Account, strike_id: int, text: str) -> Appeal:
    async with runtime.db.transaction() as session:
        return await appeals.appeal_strike(session, account=account, strike_id=strike_id, text=text)


async def decide(runtime: Runtime, moderator: Account, appeal_id: int, approve: bool) -> Appeal:
    async with runtime.db.transaction() as session:
        return await appeals.decide_appeal(
            session, moderator=moderator, appeal_id=appeal_id, approve=approve
        )


__all__ = ["act", "appeal", "decide", "member", "report", "staff"]
