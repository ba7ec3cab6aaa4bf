"""IP blocks through every door: web sign-up and sign-in, app sign-up, the OAuth token
endpoint, the admin web page and the Mastodon admin API (test clients come from 127.0.0.1).

Loopback is safelisted (PARLEY_RATELIMIT_SAFELIST), so the edge lets these clients through
even from a `no_access` range, as Mastodon's "allow from localhost" does, and what is tested
here is the sign-up, sign-in and token checks behind it. The edge's refusals are in
tests/integration/protection/test_ip_access.py."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from sqlalchemy import func, select

from parley.domain.accounts.models import Account, User
from parley.domain.moderation import ip_blocks
from parley.domain.moderation.models import IpBlock
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.moderation.conftest import Api, Browser, Staff
from tests.unit.moderation.factories import staff as staff_account

ADMIN = "read write admin:read admin:write"


async def _block_loopback(runtime: Runtime, members: Members, severity: str) -> None:
    admin = await staff_account(members, "boss", role="admin")
    async with runtime.db.transaction() as session:
        await ip_blocks.block_ip(session, actor=admin, ip="127.0.0.0/8", severity=severity)


def _form(username: str) -> dict[str, str]:
    return {"username": username, "email": f"{username}@example.org", "password": PASSWORD,
            "password_confirmation": PASSWORD, "agreement": "1"}  # fmt: skip


async def test_a_sign_up_block_refuses_web_and_app_sign_ups_but_not_sign_ins(
    browser_factory: Callable[[], Browser], api: Api, runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    await _block_loopback(runtime, members, "sign_up_block")
    browser = browser_factory()
    refused = await browser.post("/auth/sign_up", _form("carol"), page="/auth/sign_up")
    assert refused.status_code == 403
    assert "Sign-ups from your network" in refused.text
    app_token = await api.token(None, scopes="read write")
    answer = await api.client.post(
        "/api/v1/accounts",
        headers={"Authorization": f"Bearer {app_token}"},
        json={"username": "dave", "email": "dave@example.org", "password": "long password 1",
              "agreement": True, "locale": "en"},
    )  # fmt: skip
    assert answer.status_code == 403
    assert_conforms(answer.json(), "Error")
    async with runtime.db.reader() as session:
        names = set(await session.scalars(select(Account.username)))
    assert not names & {"carol", "dave"}
    assert (await browser.sign_in("alice")).status_code == 303


async def test_approval_required_makes_a_sign_up_wait(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    await _block_loopback(runtime, members, "sign_up_requires_approval")
    sent = await browser_factory().post("/auth/sign_up", _form("carol"), page="/auth/sign_up")
    assert sent.status_code == 200
    assert "Application received" in sent.text
    async with runtime.db.reader() as session:
        user = await session.scalar(select(User).join(Account).where(Account.username == "carol"))
    assert user is not None
    assert user.approved is False


async def test_no_access_refuses_web_sign_in_and_oauth_tokens(
    browser_factory: Callable[[], Browser], api: Api, runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    application = await api.app()
    await _block_loopback(runtime, members, "no_access")
    refused = await browser_factory().sign_in("alice")
    assert refused.status_code == 401
    assert "network is blocked" in refused.text
    assert "parley_session" not in refused.cookies
    token = await api.client.post(
        "/oauth/token",
        data={"grant_type": "password", "client_id": application.client_id,
              "client_secret": "whatever", "username": "alice", "password": PASSWORD},
    )  # fmt: skip
    assert token.status_code == 403
    assert "network is blocked" in token.json()["error"]


async def test_admins_manage_ip_blocks_on_the_web(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    await members.create("boss", role="admin")
    await members.create("mod", role="moderator")
    admin = browser_factory()
    assert (await admin.sign_in("boss")).status_code == 303
    page = "/moderation/domain_blocks"
    bad = await admin.post(
        "/moderation/ip_blocks", {"ip": "10.0.0.0/99", "severity": "no_access"}, page=page
    )
    assert bad.status_code == 422
    assert "not an IP address or CIDR range" in bad.text
    added = await admin.post(
        "/moderation/ip_blocks",
        {
            "ip": "203.0.113.0/24",
            "severity": "sign_up_block",
            "comment": "bots",
            "expires_in": "86400",
        },
        page=page,
    )
    assert added.status_code == 303
    listing = await admin.get(page)
    assert "203.0.113.0/24" in listing.text
    assert "bots" in listing.text
    async with runtime.db.reader() as session:
        block = await session.scalar(select(IpBlock))
    assert block is not None
    assert block.expires_at is not None
    mod = browser_factory()
    await mod.sign_in("mod")
    forbidden = await mod.post(f"/moderation/ip_blocks/{block.id}/delete", page="/settings/profile")
    assert forbidden.status_code == 403
    removed = await admin.post(f"/moderation/ip_blocks/{block.id}/delete", page=page)
    assert removed.status_code == 303
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(IpBlock)) == 0


async def test_the_admin_api_manages_ip_blocks(api: Api, staff: Staff) -> None:
    admin = await staff.caller("boss", "admin", ADMIN)
    mod = await staff.caller("mod", "moderator", ADMIN)
    created = await api.call(
        "POST", "/api/v1/admin/ip_blocks", admin, schema="AdminIpBlock",
        json={"ip": "192.0.2.1", "severity": "no_access", "comment": "abuse", "expires_in": 3600},
    )  # fmt: skip
    assert created["ip"] == "192.0.2.1/32"
    assert created["expires_at"] is not None
    listed = await api.call("GET", "/api/v1/admin/ip_blocks", admin, schema="AdminIpBlock[]")
    assert [b["id"] for b in listed] == [created["id"]]
    path = f"/api/v1/admin/ip_blocks/{created['id']}"
    edited = await api.call(
        "PUT", path, admin, schema="AdminIpBlock", json={"severity": "sign_up_block"}
    )
    assert (edited["severity"], edited["comment"]) == ("sign_up_block", "abuse")
    for body in ({"ip": "nope", "severity": "no_access"}, {"ip": "10.0.0.1", "severity": "x"},
                 {"severity": "no_access"}):  # fmt: skip
        await api.call("POST", "/api/v1/admin/ip_blocks", admin, status=422, json=body)
    await api.call(
        "POST", "/api/v1/admin/ip_blocks", admin, status=422,
        json={"ip": "192.0.2.1/32", "severity": "no_access"},
    )  # fmt: skip
    await api.call("GET", "/api/v1/admin/ip_blocks", mod, status=403)
    await api.call("DELETE", path, admin)
    await api.call("GET", path, admin, status=404)


async def test_no_access_refuses_the_consent_page_sign_in(
    browser_factory: Callable[[], Browser], api: Api, runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    application = await api.app()
    await _block_loopback(runtime, members, "no_access")
    browser = browser_factory()
    params = {"client_id": application.client_id, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
              "response_type": "code", "scope": "read"}  # fmt: skip
    page = await browser.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    form = {**params, "action": "sign_in", "login": "alice", "password": PASSWORD}
    answer = await browser.post(
        "/oauth/authorize", form, page=f"/oauth/authorize?{urlencode(params)}"
    )
    assert "network is blocked" in answer.text
    assert "parley_session" not in answer.cookies
