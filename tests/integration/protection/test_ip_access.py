"""`no_access` IP blocks refuse every request from their ranges at the edge (web pages, the
API with a valid token, a signed-in session, the inbox), answer 403 in each door's
convention, leave other addresses alone, follow the admin API's changes on the next request,
stop at their expiry and never turn a bad stored row into a 500."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from starlette.types import Message

from parley.config import Settings
from parley.db.base import utcnow
from parley.domain.moderation import ip_blocks
from parley.domain.moderation.models import IpBlock
from parley.domain.oauth import service as oauth
from parley.edge.ip_access import CHANNEL, IpAccess
from parley.infra.announce import ORIGIN
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.protection.conftest import (
    REMOTE,
    ClientAt,
    csrf_of,
    member_token,
    sign_in,
)

BLOCKED = "198.51.100.23"
RANGE = "198.51.100.0/24"
AS2 = "application/activity+json"
NOTE = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
        "actor": "https://remote.example/users/bob", "object": {"type": "Note"}}  # fmt: skip


async def _admin_api(client_at: ClientAt, runtime: Runtime, members: Members) -> httpx.AsyncClient:
    """The admin API, called from an address that is never blocked here."""
    boss = await members.create("boss", role="admin")
    async with runtime.db.transaction() as session:
        app, _ = await oauth.register_application(
            session, name="Admin", redirect_uris=[oauth.OOB], scopes="read write admin:write"
        )
        issued = await oauth.issue_token(
            session, application=app, account_id=boss.account_id,
            scopes=["read", "write", "admin:read", "admin:write"],
        )  # fmt: skip
    return client_at(REMOTE, headers={"Authorization": f"Bearer {issued.secret}"})


async def _block(admin: httpx.AsyncClient, **fields: Any) -> str:
    created = await admin.post(
        "/api/v1/admin/ip_blocks", json={"ip": RANGE, "severity": "no_access", **fields}
    )
    assert created.status_code == 200, created.text
    block_id: str = created.json()["id"]
    return block_id


def _access(app: Starlette) -> IpAccess:
    access = app.state.guard.ip_access
    assert isinstance(access, IpAccess)
    return access


def _refused_as_json(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_conforms(response.json(), "Error")
    assert "network is blocked" in response.json()["error"]


def _refused_as_page(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Access blocked" in response.text


async def test_a_no_access_block_refuses_every_door_and_lifting_it_restores_access(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    admin = await _admin_api(client_at, runtime, members)
    alice = await members.create("alice")
    token = await member_token(runtime, alice.account_id)
    api = client_at(BLOCKED, headers={"Authorization": f"Bearer {token}"})
    browser = client_at(BLOCKED)
    assert (await sign_in(browser, "alice")).status_code == 303
    # Before the block everything works (and the edge has loaded its empty list).
    assert (await api.get("/api/v1/accounts/verify_credentials")).status_code == 200
    assert (await browser.get("/home")).status_code == 200

    block_id = await _block(admin, comment="abuse")

    _refused_as_json(await api.get("/api/v1/accounts/verify_credentials"))
    _refused_as_json(await api.get("/oauth/userinfo"))
    _refused_as_page(await browser.get("/home"))  # a signed-in session
    _refused_as_page(await client_at(BLOCKED).get("/about"))  # anonymous pages
    _refused_as_page(
        await browser.get("/oauth/authorize", headers={"Accept": "text/html"})
    )  # the consent page is a page
    anonymous = client_at(BLOCKED)
    inbox = await anonymous.post(
        "/users/alice/inbox", content=orjson.dumps(NOTE), headers={"Content-Type": AS2}
    )
    _refused_as_json(inbox)
    _refused_as_json(await anonymous.get("/users/alice", headers={"Accept": AS2}))
    _refused_as_json(await anonymous.get("/.well-known/webfinger?resource=acct:alice@x"))
    _refused_as_json(await anonymous.get("/nodeinfo/2.0"))
    _refused_as_json(await anonymous.get("/api/v1/instance"))
    # Operators' probes still answer.
    assert (await anonymous.get("/health/live")).status_code == 200

    # Other addresses are not affected, nor is the same member from elsewhere.
    elsewhere = client_at("198.51.101.1", headers={"Authorization": f"Bearer {token}"})
    assert (await elsewhere.get("/api/v1/accounts/verify_credentials")).status_code == 200
    assert (await client_at("2001:db8::1").get("/about")).status_code == 200

    lifted = await admin.delete(f"/api/v1/admin/ip_blocks/{block_id}")
    assert lifted.status_code == 200
    assert (await api.get("/api/v1/accounts/verify_credentials")).status_code == 200
    assert (await browser.get("/home")).status_code == 200


async def test_an_edited_block_applies_on_the_next_request(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    admin = await _admin_api(client_at, runtime, members)
    visitor = client_at(BLOCKED)
    block_id = await _block(admin)
    _refused_as_page(await visitor.get("/about"))
    # A milder policy only stops sign-ups: the address may browse again.
    edited = await admin.put(
        f"/api/v1/admin/ip_blocks/{block_id}", json={"severity": "sign_up_block"}
    )
    assert edited.status_code == 200
    assert (await visitor.get("/about")).status_code == 200
    back = await admin.put(f"/api/v1/admin/ip_blocks/{block_id}", json={"severity": "no_access"})
    assert back.status_code == 200
    _refused_as_page(await visitor.get("/about"))


@pytest.mark.parametrize("overrides", [{"trusted_proxies": "10.0.0.1"}])
async def test_behind_a_trusted_proxy_the_forwarded_address_is_checked(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    admin = await _admin_api(client_at, runtime, members)
    await _block(admin)
    proxy = client_at("10.0.0.1")
    _refused_as_page(await proxy.get("/about", headers={"X-Forwarded-For": BLOCKED}))
    assert (await proxy.get("/about", headers={"X-Forwarded-For": "192.0.2.4"})).status_code == 200
    # An untrusted peer cannot hide behind a header, nor get someone else blocked.
    _refused_as_page(await client_at(BLOCKED).get("/about", headers={"X-Forwarded-For": "1.2.3.4"}))
    other = client_at("192.0.2.9")
    assert (await other.get("/about", headers={"X-Forwarded-For": BLOCKED})).status_code == 200


@pytest.mark.parametrize("overrides", [{"ratelimit_safelist": "127.0.0.1,::1,198.51.100.23"}])
async def test_safelisted_addresses_are_never_refused_at_the_edge(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    """As Mastodon's "allow from localhost" comes before its IP blocklist: local tools and an
    operator's tunnel keep working (sign-in and sign-up checks still apply to them)."""
    admin = await _admin_api(client_at, runtime, members)
    await _block(admin)
    loopback = {"ip": "127.0.0.0/8", "severity": "no_access"}
    assert (await admin.post("/api/v1/admin/ip_blocks", json=loopback)).status_code == 200
    assert (await client_at(BLOCKED).get("/about")).status_code == 200
    assert (await client_at("127.0.0.1").get("/about")).status_code == 200
    _refused_as_page(await client_at("198.51.100.24").get("/about"))


async def test_a_block_stops_at_its_expiry(
    app: Starlette, client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    admin = await _admin_api(client_at, runtime, members)
    visitor = client_at(BLOCKED)
    await _block(admin, expires_in=3600)
    _refused_as_page(await visitor.get("/about"))
    access = _access(app)
    access.clock = lambda: utcnow() + timedelta(minutes=59)
    _refused_as_page(await visitor.get("/about"))
    access.clock = lambda: utcnow() + timedelta(minutes=61)
    assert (await visitor.get("/about")).status_code == 200


async def test_the_operator_lifts_a_self_inflicted_block_from_the_command_line(
    settings: Settings,
    client_at: ClientAt,
    runtime: Runtime,
    members: Members,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parley.cli import main

    admin = await _admin_api(client_at, runtime, members)
    await _block(admin)
    _refused_as_page(await client_at(BLOCKED).get("/about"))
    monkeypatch.setenv("PARLEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PARLEY_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(settings.data_dir))

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["admin", "unblock-ip", *args])

    for bad in ("example.org", "10.0.0.0/33"):
        refused = await asyncio.to_thread(run, bad)
        assert refused.exit_code == 1
        assert "not an IP address or CIDR range" in refused.output
    nothing = await asyncio.to_thread(run, "192.0.2.1")
    assert nothing.exit_code == 1
    assert "no IP block covers 192.0.2.1" in nothing.output
    _refused_as_page(await client_at(BLOCKED).get("/about"))
    lifted = await asyncio.to_thread(run, BLOCKED)
    assert lifted.exit_code == 0, lifted.output
    assert RANGE in lifted.output
    assert (await client_at(BLOCKED).get("/about")).status_code == 200


async def test_a_block_stored_already_expired_never_applies(
    client_at: ClientAt, runtime: Runtime
) -> None:
    async with runtime.db.transaction() as session:
        past = utcnow() - timedelta(seconds=1)
        session.add(IpBlock(ip=RANGE, severity="no_access", expires_at=past))
    assert (await client_at(BLOCKED).get("/about")).status_code == 200


async def test_a_malformed_stored_range_is_skipped_never_a_500(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    async with runtime.db.transaction() as session:
        session.add(IpBlock(ip="not-a-range", severity="no_access"))
        session.add(IpBlock(ip="", severity="no_access"))
        session.add(IpBlock(ip="10.0.0.0/99", severity="sign_up_block"))
        session.add(IpBlock(ip=RANGE, severity="no_access"))
    _refused_as_page(await client_at(BLOCKED).get("/about"))
    browser = client_at("192.0.2.50")
    assert (await browser.get("/about")).status_code == 200
    # The sign-in check reads the same rows: still no 500.
    assert (await sign_in(browser, "alice")).status_code == 303
    async with runtime.db.reader() as session:
        assert await ip_blocks.ip_policy(session, BLOCKED) == "no_access"


async def test_an_unreadable_block_list_lets_requests_through(
    client_at: ClientAt, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> list[ip_blocks.LiveBlock]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(ip_blocks, "live_ip_blocks", broken)
    response = await client_at(BLOCKED).get("/about")
    assert response.status_code == 200


async def test_the_streaming_handshake_is_refused(
    app: Starlette, client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    admin = await _admin_api(client_at, runtime, members)
    await _block(admin)
    sent: list[dict[str, Any]] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(dict(message))

    scope = {"type": "websocket", "path": "/api/v1/streaming", "raw_path": b"/api/v1/streaming",
             "query_string": b"stream=public", "headers": [], "client": (BLOCKED, 5000),
             "scheme": "wss", "server": ("parley.test", 443), "subprotocols": [],
             "asgi": {"version": "3.0"}}  # fmt: skip
    await app(scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_changes_through_the_api_and_the_web_are_announced_to_other_processes(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    admin = await _admin_api(client_at, runtime, members)
    browser = client_at(REMOTE)
    assert (await sign_in(browser, "boss")).status_code == 303
    async with await runtime.broker.subscribe([CHANNEL]) as heard:

        async def announced() -> None:
            assert await asyncio.wait_for(anext(heard), 1) == (CHANNEL, ORIGIN)

        block_id = await _block(admin)
        await announced()
        await admin.put(f"/api/v1/admin/ip_blocks/{block_id}", json={"comment": "still"})
        await announced()
        await admin.delete(f"/api/v1/admin/ip_blocks/{block_id}")
        await announced()
        csrf = await csrf_of(browser, "/moderation/domain_blocks")
        added = await browser.post(
            "/moderation/ip_blocks",
            data={"ip": "192.0.2.0/24", "severity": "no_access", "csrf_token": csrf},
        )
        assert added.status_code == 303
        await announced()
        refused = await browser.post(
            "/moderation/ip_blocks", data={"ip": "nonsense", "severity": "no_access",
                                           "csrf_token": csrf},
        )  # fmt: skip
        assert refused.status_code == 422
        async with runtime.db.reader() as session:
            (block,) = await ip_blocks.list_ip_blocks(session)
        lifted = await browser.post(
            f"/moderation/ip_blocks/{block.id}/delete", data={"csrf_token": csrf}
        )
        assert lifted.status_code == 303
        await announced()  # the refused form announced nothing: this is the deletion's
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(heard), 0.05)
