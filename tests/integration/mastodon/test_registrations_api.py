"""Sign-up through apps under each registration mode, Mastodon's answers for a pending
login, the instance documents, and the admin API's approve / reject."""

from __future__ import annotations

from typing import Any

from parley.domain.accounts import invites
from parley.domain.accounts.models import Account
from parley.domain.instance.service import update_instance_info
from parley.runtime import Runtime
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.moderation.conftest import Staff, staff

__all__ = ["staff"]  # the fixture, shared with the moderation tests

ADMIN_SCOPES = "read write admin:read admin:write"


async def _mode(runtime: Runtime, mode: str) -> None:
    async with runtime.db.transaction() as session:
        await update_instance_info(session, registration_mode=mode)


async def _sign_up(api: Api, username: str, *, status: int = 200, **extra: Any) -> Any:
    app_token = await api.token(None, scopes="read write")
    response = await api.client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {app_token}"},
        json={"username": username, "email": f"{username}@example.org",
              "password": "long password 1", "agreement": True, "locale": "en", **extra},
    )  # fmt: skip
    assert response.status_code == status, response.text
    return response.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_approval_mode_asks_for_a_reason_and_the_token_waits(
    api: Api, runtime: Runtime
) -> None:
    other = await api.member("olga")
    await _mode(runtime, "approval")
    v2 = (await api.client.get("/api/v2/instance")).json()
    assert v2["registrations"] == {
        **v2["registrations"],
        "enabled": True,
        "approval_required": True,
    }
    v1 = (await api.client.get("/api/v1/instance")).json()
    assert (v1["registrations"], v1["approval_required"], v1["invites_enabled"]) == (
        True,
        True,
        True,
    )

    missing = await _sign_up(api, "carol", status=422)
    assert_conforms(missing, "ValidationError")
    assert missing["details"]["reason"][0]["error"] == "ERR_BLANK"
    issued = await _sign_up(api, "carol", reason="I write about birds")
    assert_conforms(issued, "Token")
    answer = await api.client.get(
        "/api/v1/accounts/verify_credentials", headers=_bearer(issued["access_token"])
    )
    assert answer.status_code == 403
    assert answer.json() == {"error": "Your login is currently pending approval"}
    await api.call("GET", "/api/v1/accounts/lookup?acct=carol", other, status=404)
    assert await api.call("GET", "/api/v1/accounts/search?q=carol", other) == []


async def test_invite_only_and_closed_modes(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    await _mode(runtime, "invite")
    v2 = (await api.client.get("/api/v2/instance")).json()
    assert_conforms(v2, "Instance")
    assert v2["registrations"]["enabled"] is False
    assert "invitation only" in v2["registrations"]["message"]
    refused = await _sign_up(api, "carol", status=403)
    assert_conforms(refused, "Error")
    bad_code = await _sign_up(api, "carol", status=422, invite_code="nope")
    assert "invite_code" in bad_code["details"]
    async with runtime.db.transaction() as session:
        creator = await session.get(Account, int(alice.id))
        assert creator is not None
        invite = await invites.create_invite(session, account=creator, max_uses=1, expires_in=None)
    issued = await _sign_up(api, "carol", invite_code=invite.code)
    me = await api.client.get(
        "/api/v1/accounts/verify_credentials", headers=_bearer(issued["access_token"])
    )
    assert me.status_code == 200
    assert me.json()["username"] == "carol"
    await _sign_up(api, "dave", status=422, invite_code=invite.code)  # used up
    await _mode(runtime, "closed")
    v1 = (await api.client.get("/api/v1/instance")).json()
    assert (v1["registrations"], v1["invites_enabled"]) == (False, False)


async def test_moderators_approve_and_reject_through_the_admin_api(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    mod = await staff.caller("mod", "moderator", ADMIN_SCOPES)
    member = await api.member("alice", scopes="read write admin:read admin:write")
    await _mode(runtime, "approval")
    carol = await _sign_up(api, "carol", reason="birds")
    await _sign_up(api, "dave", reason="spam spam")
    pending = await api.call("GET", "/api/v1/admin/accounts?pending=true", mod)
    assert [a["username"] for a in pending] == ["carol", "dave"]
    assert_conforms(pending, "AdminAccount[]")
    assert pending[0]["invite_request"] == "birds"
    assert pending[0]["approved"] is False
    v2 = await api.call("GET", "/api/v2/admin/accounts?status=pending", mod)
    assert len(v2) == 2
    everyone = await api.call("GET", "/api/v1/admin/accounts", mod, schema="AdminAccount[]")
    assert {a["username"] for a in everyone} == {"mod", "alice", "carol", "dave"}
    await api.call("GET", "/api/v1/admin/accounts?pending=true", member, status=403)

    carol_id, dave_id = pending[0]["id"], pending[1]["id"]
    approved = await api.call(
        "POST", f"/api/v1/admin/accounts/{carol_id}/approve", mod, schema="AdminAccount"
    )
    assert approved["approved"] is True
    await api.call("POST", f"/api/v1/admin/accounts/{carol_id}/approve", mod, status=422)
    me = await api.client.get(
        "/api/v1/accounts/verify_credentials", headers=_bearer(carol["access_token"])
    )
    assert me.status_code == 200
    rejected = await api.call(
        "POST", f"/api/v1/admin/accounts/{dave_id}/reject", mod, schema="AdminAccount"
    )
    assert rejected["username"] == "dave"
    await api.call("POST", f"/api/v1/admin/accounts/{dave_id}/reject", mod, status=404)
    await api.call("POST", "/api/v1/admin/accounts/12345/approve", mod, status=404)


async def test_suspended_tokens_get_mastodons_403(api: Api, staff: Staff) -> None:
    mod = await staff.caller("mod", "moderator", ADMIN_SCOPES)
    bob: Caller = await api.member("bob")
    await api.call(
        "POST",
        f"/api/v1/admin/accounts/{bob.id}/action",
        mod,
        json={"type": "suspend", "text": "spam"},
    )
    answer = await api.call("GET", "/api/v1/accounts/verify_credentials", bob, status=403)
    assert answer == {"error": "Your login is currently disabled"}


async def test_a_pending_account_is_404_by_id_except_to_staff(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    mod = await staff.caller("mod", "moderator", ADMIN_SCOPES)
    other = await api.member("olga")
    await _mode(runtime, "approval")
    await _sign_up(api, "carol", reason="birds")
    pending = await api.call("GET", "/api/v1/admin/accounts?pending=true", mod)
    carol_id = pending[0]["id"]
    await api.call("GET", f"/api/v1/accounts/{carol_id}", other, status=404)
    await api.call("GET", f"/api/v1/accounts/{carol_id}/statuses", other, status=404)
    await api.call("POST", f"/api/v1/accounts/{carol_id}/follow", other, status=404)
    anonymous = await api.client.get(f"/api/v1/accounts/{carol_id}")
    assert anonymous.status_code == 404
    assert anonymous.json() == {"error": "Record not found"}
    seen = await api.call("GET", f"/api/v1/accounts/{carol_id}", mod, schema="Account")
    assert seen["username"] == "carol"
    await api.call("POST", f"/api/v1/admin/accounts/{carol_id}/approve", mod)
    approved = await api.call("GET", f"/api/v1/accounts/{carol_id}", other, schema="Account")
    assert approved["username"] == "carol"
    await api.call("GET", f"/api/v1/accounts/{carol_id}/statuses", other)
    await api.call("POST", f"/api/v1/accounts/{carol_id}/follow", other)
