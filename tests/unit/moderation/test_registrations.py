"""Registration modes, invitations and the approval of pending sign-ups (domain level)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from parley.db.base import utcnow
from parley.domain.accounts import invites
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, Invite, User
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound
from parley.domain.instance.service import update_instance_info
from parley.domain.moderation import registrations
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.unit.moderation.factories import act, member, staff


async def _mode(runtime: Runtime, mode: str) -> None:
    async with runtime.db.transaction() as session:
        await update_instance_info(session, registration_mode=mode)


async def _sign_up(runtime: Runtime, username: str, **kw: object) -> User:
    async with runtime.db.transaction() as session:
        return await accounts.register(
            session, runtime.ctx, username=username, email=f"{username}@example.org",
            password=PASSWORD, rules_accepted=True, **kw,  # type: ignore[arg-type]
        )  # fmt: skip


async def _sign_in(runtime: Runtime, username: str) -> User:
    async with runtime.db.transaction() as session:
        return await accounts.authenticate(session, runtime.ctx, login=username, password=PASSWORD)


async def _invite(runtime: Runtime, creator: Account, **kw: object) -> Invite:
    kw.setdefault("max_uses", 1)
    kw.setdefault("expires_in", "86400")
    async with runtime.db.transaction() as session:
        return await invites.create_invite(session, account=creator, **kw)  # type: ignore[arg-type]


async def _mails_to(runtime: Runtime, address: str) -> list[str]:
    async with runtime.db.reader() as session:
        jobs = await session.scalars(select(Job).where(Job.kind == "send_mail"))
        return [j.payload["subject"] for j in jobs if j.payload["to"] == address]


async def test_approval_mode_needs_a_reason_and_leaves_the_account_pending(
    runtime: Runtime, members: Members
) -> None:
    await staff(members, "mod")
    await member(members, "alice")
    await _mode(runtime, "approval")
    with pytest.raises(Invalid) as missing:
        await _sign_up(runtime, "carol")
    assert missing.value.field == "reason"
    user = await _sign_up(runtime, "carol", reason="  I write about birds  ")
    assert user.approved is False
    assert user.sign_up_reason == "I write about birds"
    with pytest.raises(Forbidden, match="waiting for a moderator"):
        await _sign_in(runtime, "carol")
    assert await _mails_to(runtime, "carol@example.org") == ["Your application was received"]
    assert await _mails_to(runtime, "mod@example.org") == ["Sign-up waiting for approval: @carol"]
    assert await _mails_to(runtime, "alice@example.org") == []  # members are not told


async def test_a_moderator_approves_a_pending_sign_up_and_the_applicant_can_sign_in(
    runtime: Runtime, members: Members
) -> None:
    await _mode(runtime, "approval")
    mod = await staff(members, "mod")
    user = await _sign_up(runtime, "carol", reason="birds")
    async with runtime.db.reader() as session:
        pending = await registrations.list_pending(session, moderator=mod)
    assert [u.id for _, u in pending] == [user.id]
    async with runtime.db.transaction() as session:
        await registrations.approve_account(session, moderator=mod, account_id=user.account_id)
    assert (await _sign_in(runtime, "carol")).approved
    assert "Your account was approved" in await _mails_to(runtime, "carol@example.org")
    with pytest.raises(Conflict):  # no longer pending
        async with runtime.db.transaction() as session:
            await registrations.approve_account(session, moderator=mod, account_id=user.account_id)


async def test_rejecting_removes_the_account_and_frees_the_name(
    runtime: Runtime, members: Members
) -> None:
    await _mode(runtime, "approval")
    mod = await staff(members, "mod")
    user = await _sign_up(runtime, "carol", reason="birds")
    async with runtime.db.transaction() as session:
        await registrations.reject_account(
            session, moderator=mod, account_id=user.account_id, reason="Spam profile"
        )
    async with runtime.db.reader() as session:
        assert await session.get(Account, user.account_id) is None
    assert "Your application was not accepted" in await _mails_to(runtime, "carol@example.org")
    again = await _sign_up(runtime, "carol", reason="second try")
    assert again.approved is False
    with pytest.raises(NotFound):
        async with runtime.db.transaction() as session:
            await registrations.reject_account(session, moderator=mod, account_id=user.account_id)


async def test_members_cannot_decide_sign_ups(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    await _mode(runtime, "approval")
    user = await _sign_up(runtime, "carol", reason="birds")
    with pytest.raises(Forbidden):
        async with runtime.db.transaction() as session:
            await registrations.approve_account(
                session, moderator=alice, account_id=user.account_id
            )


async def test_invite_only_mode_refuses_sign_ups_without_a_usable_invitation(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    await _mode(runtime, "invite")
    with pytest.raises(Forbidden, match="invitation"):
        await _sign_up(runtime, "carol")
    with pytest.raises(Invalid, match="does not exist"):
        await _sign_up(runtime, "carol", invite_code="nonsense")
    invite = await _invite(runtime, alice, max_uses=1)
    user = await _sign_up(runtime, "carol", invite_code=invite.code)
    assert user.approved
    assert user.invite_id == invite.id
    with pytest.raises(Invalid, match="used up"):  # one use only
        await _sign_up(runtime, "dave", invite_code=invite.code)


async def test_expired_and_revoked_invitations_are_refused(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    await _mode(runtime, "invite")
    expired = await _invite(runtime, alice, max_uses=None)
    revoked = await _invite(runtime, alice, max_uses=None, expires_in=None)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Invite)
            .where(Invite.id == expired.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await invites.revoke_invite(session, actor=alice, invite_id=revoked.id)
    for code in (expired.code, revoked.code):
        with pytest.raises(Invalid, match="expired, was revoked"):
            await _sign_up(runtime, "carol", invite_code=code)
    async with runtime.db.reader() as session:
        assert await session.scalar(select(Account.id).where(Account.username == "carol")) is None


async def test_an_invitation_skips_approval_but_a_closed_server_refuses_it(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    await _mode(runtime, "approval")
    invite = await _invite(runtime, alice, max_uses=5)
    assert (await _sign_up(runtime, "carol", invite_code=invite.code)).approved
    await _mode(runtime, "closed")
    with pytest.raises(Forbidden, match="closed"):
        await _sign_up(runtime, "dave", invite_code=invite.code)
    with pytest.raises(Forbidden, match="closed"):
        await _invite(runtime, alice)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"max_uses": 7}, "max_uses"),
        ({"expires_in": "99"}, "expires_in"),
        ({"max_uses": -1}, "max_uses"),
    ],
)
async def test_bad_invitation_settings_are_refused(
    runtime: Runtime, members: Members, kw: dict[str, object], field: str
) -> None:
    alice = await member(members, "alice")
    with pytest.raises(Invalid) as caught:
        await _invite(runtime, alice, **kw)
    assert caught.value.field == field


async def test_only_the_creator_or_an_admin_may_revoke_an_invitation(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    admin = await staff(members, "boss", role="admin")
    invite = await _invite(runtime, alice)
    with pytest.raises(NotFound):
        async with runtime.db.transaction() as session:
            await invites.revoke_invite(session, actor=bob, invite_id=invite.id)
    async with runtime.db.transaction() as session:
        revoked = await invites.revoke_invite(session, actor=admin, invite_id=invite.id)
    assert revoked.revoked_at is not None


async def test_a_frozen_member_cannot_invite(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == alice.id).values(frozen_at=utcnow())
        )
        alice.frozen_at = utcnow()
    with pytest.raises(Forbidden, match="frozen"):
        await _invite(runtime, alice)


async def test_a_suspended_members_invitations_stop_working(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    mod = await staff(members, "mod")
    invite = await _invite(runtime, alice, max_uses=None)
    await _mode(runtime, "invite")
    await act(runtime, mod, kind="suspend", reason="Spam ring", target_account_id=alice.id)
    with pytest.raises(Invalid, match="expired, was revoked"):
        await _sign_up(runtime, "carol", invite_code=invite.code)
