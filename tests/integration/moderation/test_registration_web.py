"""Registration modes and invitations through the web UI: approval with a reason, the
moderators' sign-up queue, invitation links and their bad cases, the admin's mode setting."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from parley.domain.accounts.models import Account, Invite, User
from parley.domain.instance.service import get_instance_info, update_instance_info
from parley.domain.moderation import registrations
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.moderation.conftest import Browser
from tests.integration.moderation.test_moderation_web import _signed_in
from tests.unit.moderation.factories import staff


async def _mode(runtime: Runtime, mode: str) -> None:
    async with runtime.db.transaction() as session:
        await update_instance_info(session, registration_mode=mode)


def _form(username: str, **extra: str) -> dict[str, str]:
    return {"username": username, "email": f"{username}@example.org", "password": PASSWORD,
            "password_confirmation": PASSWORD, "agreement": "1", **extra}  # fmt: skip


async def test_approval_sign_up_waits_for_a_moderator(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    mod = await _signed_in(browser_factory, members, "mod", "moderator")
    await _mode(runtime, "approval")
    applicant = browser_factory()
    form = await applicant.get("/auth/sign_up")
    assert 'name="reason"' in form.text
    no_reason = await applicant.post("/auth/sign_up", _form("carol"), page="/auth/sign_up")
    assert no_reason.status_code == 422
    assert "why you want to join" in no_reason.text
    sent = await applicant.post(
        "/auth/sign_up", _form("carol", reason="I run the birding club"), page="/auth/sign_up"
    )
    assert sent.status_code == 200
    assert "Application received" in sent.text
    assert "parley_session" not in sent.cookies
    refused = await applicant.sign_in("carol")
    assert refused.status_code == 401
    assert "waiting for a moderator" in refused.text

    queue = await mod.get("/moderation/pending")
    assert "I run the birding club" in queue.text
    account_id = re.search(r"/moderation/pending/(\d+)/approve", queue.text)
    assert account_id is not None
    bogus = await mod.post(f"/moderation/pending/{account_id.group(1)}/maybe", page="/moderation")
    assert bogus.status_code == 404
    approved = await mod.post(
        f"/moderation/pending/{account_id.group(1)}/approve", page="/moderation/pending"
    )
    assert approved.status_code == 303
    assert (await applicant.sign_in("carol")).status_code == 303


async def test_members_cannot_open_the_sign_up_queue(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    alice = await _signed_in(browser_factory, members, "alice", "member")
    assert (await alice.get("/moderation/pending")).status_code == 403


async def test_invitation_links_from_creation_to_sign_up(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    alice = await _signed_in(browser_factory, members, "alice", "member")
    await _mode(runtime, "invite")
    stranger = browser_factory()
    closed_form = await stranger.get("/auth/sign_up")
    assert "by invitation only" in closed_form.text
    assert 'name="username"' not in closed_form.text
    bad = await alice.post(
        "/settings/invites", {"max_uses": "7", "expires_in": "86400"}, page="/settings/invites"
    )
    assert bad.status_code == 422
    created = await alice.post(
        "/settings/invites", {"max_uses": "1", "expires_in": "86400"}, page="/settings/invites"
    )
    assert created.status_code == 303
    listing = await alice.get("/settings/invites")
    code = re.search(r"/invite/([\w-]+)</code>", listing.text)
    assert code is not None

    assert (await stranger.get("/invite/no-such-code")).status_code == 404
    page = await stranger.get(f"/invite/{code.group(1)}")
    assert page.status_code == 200
    assert f'name="invite" value="{code.group(1)}"' in page.text
    joined = await stranger.post(
        "/auth/sign_up", _form("carol", invite=code.group(1)), page=f"/invite/{code.group(1)}"
    )
    assert joined.status_code == 303
    used_up = await browser_factory().get(f"/invite/{code.group(1)}")
    assert used_up.status_code == 410
    assert "used up" in used_up.text
    async with runtime.db.reader() as session:
        invite = await session.scalar(select(Invite))
        user = await session.scalar(select(User).join(Account).where(Account.username == "carol"))
    assert invite is not None
    assert invite.uses == 1
    assert user is not None
    assert user.invite_id == invite.id


async def test_a_revoked_invitation_no_longer_signs_anyone_up(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    alice = await _signed_in(browser_factory, members, "alice", "member")
    bob = await _signed_in(browser_factory, members, "bob", "member")
    await _mode(runtime, "invite")
    await alice.post(
        "/settings/invites", {"max_uses": "", "expires_in": ""}, page="/settings/invites"
    )
    async with runtime.db.reader() as session:
        invite = await session.scalar(select(Invite))
    assert invite is not None
    assert invite.max_uses is None
    assert invite.expires_at is None
    not_his = await bob.post(f"/settings/invites/{invite.id}/revoke", page="/settings/invites")
    assert not_his.status_code == 404
    revoked = await alice.post(f"/settings/invites/{invite.id}/revoke", page="/settings/invites")
    assert revoked.status_code == 303
    stranger = browser_factory()
    refused = await stranger.post(
        "/auth/sign_up", _form("carol", invite=invite.code), page="/auth/sign_in"
    )
    assert refused.status_code == 422
    assert "revoked" in refused.text


async def test_admins_set_the_registration_mode(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    admin = await _signed_in(browser_factory, members, "boss", "admin")
    page = await admin.get("/moderation/settings")
    assert "<title>Moderation settings" in page.text
    values = {"report_response_hours": "24", "registration_mode": "approval"}
    saved = await admin.post("/moderation/settings", values, page="/moderation/settings")
    assert saved.status_code == 200
    bad = await admin.post(
        "/moderation/settings",
        {**values, "registration_mode": "whoever"},
        page="/moderation/settings",
    )
    assert bad.status_code == 422
    async with runtime.db.reader() as session:
        assert (await get_instance_info(session)).registration_mode == "approval"


async def test_a_pending_account_stays_out_of_sight_until_approved(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    mod = await staff(members, "mod")
    await _mode(runtime, "approval")
    applicant = browser_factory()
    await applicant.post("/auth/sign_up", _form("carol", reason="birds"), page="/auth/sign_up")
    viewer = browser_factory()
    webfinger = "/.well-known/webfinger?resource=acct:carol@parley.test"
    assert (await viewer.get("/@carol")).status_code == 404
    assert (await viewer.get(webfinger)).status_code == 404
    async with runtime.db.transaction() as session:
        carol = await session.scalar(select(Account).where(Account.username == "carol"))
        assert carol is not None
        await registrations.approve_account(session, moderator=mod, account_id=carol.id)
    assert (await viewer.get("/@carol")).status_code == 200
    assert (await viewer.get(webfinger)).status_code == 200
