from __future__ import annotations

import pytest

from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, NotFound
from parley.domain.moderation.models import ActionKind, AuditLogEntry, Strike
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import act, appeal, decide, member, staff
from tests.unit.posts.factories import count, reload


async def _frozen_bob(runtime: Runtime, members: Members) -> tuple[Account, Account, Strike]:
    bob = await member(members, "bob")
    mod = await staff(members, "mod")
    strike = await act(runtime, mod, kind=ActionKind.FREEZE, target_account_id=bob.id, reason="x")
    assert strike is not None
    return bob, mod, strike


async def test_an_upheld_appeal_lifts_the_freeze(runtime: Runtime, members: Members) -> None:
    bob, _, strike = await _frozen_bob(runtime, members)
    other = await staff(members, "other")
    filed = await appeal(runtime, bob, strike.id, "It was a joke between friends")
    decided = await decide(runtime, other, filed.id, approve=True)
    assert decided.approved is True
    assert (await reload(runtime, Account, bob.id)).frozen_at is None
    assert (await reload(runtime, Strike, strike.id)).reversed_at is not None
    assert await count(runtime, AuditLogEntry, AuditLogEntry.action == "appeal.approve") == 1


async def test_a_second_appeal_is_refused(runtime: Runtime, members: Members) -> None:
    bob, _, strike = await _frozen_bob(runtime, members)
    await appeal(runtime, bob, strike.id, "please")
    with pytest.raises(Conflict, match="once"):
        await appeal(runtime, bob, strike.id, "please please")


async def test_the_moderator_who_struck_cannot_decide_the_appeal(
    runtime: Runtime, members: Members
) -> None:
    bob, mod, strike = await _frozen_bob(runtime, members)
    filed = await appeal(runtime, bob, strike.id, "unfair")
    with pytest.raises(Forbidden, match="Another moderator"):
        await decide(runtime, mod, filed.id, approve=True)
    assert (await reload(runtime, Account, bob.id)).frozen_at is not None


async def test_only_the_struck_member_may_appeal_and_decisions_are_final(
    runtime: Runtime, members: Members
) -> None:
    bob, _, strike = await _frozen_bob(runtime, members)
    carol = await member(members, "carol")
    other = await staff(members, "other")
    with pytest.raises(NotFound):
        await appeal(runtime, carol, strike.id, "on bob's behalf")
    filed = await appeal(runtime, bob, strike.id, "unfair")
    with pytest.raises(Forbidden):
        await decide(runtime, carol, filed.id, approve=True)
    await decide(runtime, other, filed.id, approve=False)
    with pytest.raises(Conflict):
        await decide(runtime, other, filed.id, approve=True)
    assert (await reload(runtime, Account, bob.id)).frozen_at is not None
