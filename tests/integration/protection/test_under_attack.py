"""Under-attack mode: anonymous browsers solve a proof-of-work; apps, members, federation,
health checks and static files never see it."""

from __future__ import annotations

import hashlib
import re
from itertools import count

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from parley.config import Settings
from parley.domain.instance import attack_mode
from parley.edge import challenge
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.protection.conftest import REMOTE, ClientAt, member_token, sign_in


@pytest.fixture
def overrides() -> dict[str, int]:
    return {"under_attack_difficulty": 8}  # quick to solve in a test


FIELD = re.compile(r'name="(challenge|bits|next)" value="([^"]*)"')


async def switch(app: Starlette, runtime: Runtime, *, on: bool) -> None:
    async with runtime.db.transaction() as session:
        await attack_mode.set_under_attack(session, on=on)
    app.state.guard.attack.refresh_soon()


def solve(token: str, bits: int) -> str:
    for n in count():
        digest = hashlib.sha256(f"{token}:{n}".encode()).digest()
        if challenge.leading_zero_bits(digest) >= bits:
            return str(n)
    raise AssertionError("unreachable")


def fields_of(page: httpx.Response) -> dict[str, str]:
    return {name: value.replace("&amp;", "&") for name, value in FIELD.findall(page.text)}


async def test_anonymous_pages_ask_for_the_check_only_while_the_mode_is_on(
    app: Starlette, runtime: Runtime, client_at: ClientAt
) -> None:
    client = client_at()
    assert (await client.get("/local")).status_code == 200
    await switch(app, runtime, on=True)
    page = await client.get("/local?x=1")
    assert page.status_code == 503
    assert "Checking your browser" in page.text
    assert "<noscript>" in page.text
    assert "JavaScript is needed" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert fields_of(page)["next"] == "/local?x=1"
    await switch(app, runtime, on=False)
    assert (await client.get("/local")).status_code == 200


async def test_a_solved_check_lets_the_browser_in(
    app: Starlette, runtime: Runtime, client_at: ClientAt
) -> None:
    await switch(app, runtime, on=True)
    client = client_at()
    fields = fields_of(await client.get("/local"))
    answer = solve(fields["challenge"], int(fields["bits"]))
    passed = await client.post(
        "/_edge/challenge",
        data={"challenge": fields["challenge"], "answer": answer, "next": fields["next"]},
    )
    assert passed.status_code == 303
    assert passed.headers["location"] == "/local"
    assert challenge.PASS_COOKIE in passed.cookies
    assert (await client.get("/local")).status_code == 200
    assert (await client.get("/about")).status_code == 200
    # The cookie is bound to the address that solved it.
    elsewhere = client_at("198.51.100.99")
    elsewhere.cookies.set(challenge.PASS_COOKIE, passed.cookies[challenge.PASS_COOKIE])
    assert (await elsewhere.get("/local")).status_code == 503


async def test_forged_wrong_and_expired_answers_are_refused(
    app: Starlette, runtime: Runtime, client_at: ClientAt, settings: Settings
) -> None:
    await switch(app, runtime, on=True)
    client = client_at()
    fields = fields_of(await client.get("/local"))
    token = fields["challenge"]
    answer = solve(token, int(fields["bits"]))
    # An easier challenge made up by the client: the signature does not match.
    forged = token.replace("~8~", "~1~")
    attempts = [
        {"challenge": forged, "answer": solve(forged, 1)},
        {"challenge": token, "answer": "not-a-number"},
        {"challenge": "", "answer": answer},
    ]
    wrong = next(str(n) for n in count() if not challenge.solves(token, str(n), 8))
    attempts.append({"challenge": token, "answer": wrong})
    expired = challenge.seal(
        settings.secret_key, ["pow", REMOTE, "8", "abcd"], ttl=10, now=1_000_000.0
    )
    attempts.append({"challenge": expired, "answer": solve(expired, 8)})
    for data in attempts:
        refused = await client.post("/_edge/challenge", data={**data, "next": "/local"})
        assert refused.status_code == 403, data
        assert challenge.PASS_COOKIE not in refused.cookies
    assert (await client.get("/local")).status_code == 503
    # Garbage (not ASCII, no separator, huge) is refused the same way, never a 500.
    for garbage in ("x~\u00e9", "\u00e9", "~", "a~b~c~d~e", "x" * 3000):
        refused = await client.post("/_edge/challenge", data={"challenge": garbage, "answer": "1"})
        assert refused.status_code == 403, garbage
    raw = {"Cookie": f"{challenge.PASS_COOKIE}=pass~x~1~\u00e9".encode("latin-1")}
    assert (await client_at().get("/local", headers=raw)).status_code == 503  # type: ignore[dict-item]
    # A made-up or expired pass cookie does not help either.
    client.cookies.set(challenge.PASS_COOKIE, f"pass~{REMOTE}~9999999999~00")
    assert (await client.get("/local")).status_code == 503
    stale = challenge.seal(settings.secret_key, ["pass", REMOTE], ttl=1, now=1_000_000.0)
    client.cookies.set(challenge.PASS_COOKIE, stale)
    assert (await client.get("/local")).status_code == 503


async def test_apps_members_federation_and_infrastructure_are_never_asked(
    app: Starlette, runtime: Runtime, client_at: ClientAt, members: Members
) -> None:
    alice = await members.create("alice")
    token = await member_token(runtime, alice.account_id)
    browser = client_at("198.51.100.40")
    assert (await sign_in(browser, "alice")).status_code == 303
    await switch(app, runtime, on=True)
    anonymous = client_at()
    bearer = {"Authorization": f"Bearer {token}"}
    as2 = {"Accept": "application/activity+json"}
    exempt = [
        ("GET", "/api/v1/timelines/public", {}),  # the API, with or without a token
        ("GET", "/api/v1/accounts/verify_credentials", bearer),
        ("GET", "/home", bearer),  # any request with a token
        ("GET", "/@alice", as2),  # content negotiation for servers
        ("GET", "/users/alice", {"Signature": 'keyId="https://remote.example/actor#main-key"'}),
        ("POST", "/inbox", {"Content-Type": "application/activity+json"}),
        ("GET", "/health/live", {}),
        ("GET", "/metrics", {}),
        ("GET", "/static/parley.css", {}),
        ("GET", "/.well-known/webfinger?resource=acct:alice@parley.test", {}),
        ("GET", "/.well-known/nodeinfo", {}),
        ("GET", "/nodeinfo/2.0", {}),
        ("POST", "/oauth/token", {}),
    ]
    for method, path, headers in exempt:
        response = await anonymous.request(method, path, headers=headers)
        assert response.status_code != 503, (method, path)
        assert "Checking your browser" not in response.text, (method, path)
    assert (await browser.get("/local")).status_code == 200  # a signed-in member
    # A made-up session cookie is not a member.
    anonymous.cookies.set("parley_session", "made-up")
    assert (await anonymous.get("/local")).status_code == 503


@pytest.mark.parametrize(
    "overrides",
    [{"under_attack_difficulty": 8, "under_attack_auto_rps": 2, "under_attack_auto_window": 2}],
)
async def test_a_flood_of_anonymous_pages_switches_the_mode_on_by_itself(
    app: Starlette, runtime: Runtime, client_at: ClientAt
) -> None:
    client = client_at()
    statuses = [(await client.get("/about")).status_code for _ in range(8)]
    assert statuses[0] == 200
    assert statuses[-1] == 503  # over 2 a second on average over 2 s: the check is asked
    async with runtime.db.reader() as session:
        mode = await attack_mode.get_attack_mode(session)
    assert not mode.manual
    assert mode.active()
    # Loopback (health checks, local scripts) does not count towards the trigger.


async def test_the_admin_switches_it_from_the_web_and_members_cannot(
    app: Starlette, runtime: Runtime, client_at: ClientAt, members: Members
) -> None:
    await members.create("boss", role="admin")
    await members.create("carol")
    admin = client_at("198.51.100.41")
    assert (await sign_in(admin, "boss")).status_code == 303
    member = client_at("198.51.100.42")
    assert (await sign_in(member, "carol")).status_code == 303
    page = await admin.get("/moderation/under_attack")
    assert page.status_code == 200
    assert "Now: off" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    switched = await admin.post(
        "/moderation/under_attack", data={"state": "on", "csrf_token": token.group(1)}
    )
    assert switched.status_code == 200
    assert "Now: on" in switched.text
    bad = await admin.post(
        "/moderation/under_attack", data={"state": "maybe", "csrf_token": token.group(1)}
    )
    assert bad.status_code == 422
    app.state.guard.attack.refresh_soon()
    assert (await client_at().get("/local")).status_code == 503
    assert (await member.get("/moderation/under_attack")).status_code == 403


def test_the_cli_switches_it_and_refuses_a_bad_state(
    settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.cli import main

    monkeypatch.setenv("PARLEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PARLEY_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    on = runner.invoke(main, ["admin", "under-attack", "on"])
    assert on.exit_code == 0, on.output
    assert "is on" in on.output
    status = runner.invoke(main, ["admin", "under-attack", "status"])
    assert "is on (switched on by an admin)" in status.output
    assert "is off" in runner.invoke(main, ["admin", "under-attack", "off"]).output
    bad = runner.invoke(main, ["admin", "under-attack", "maybe"])
    assert bad.exit_code != 0
    assert "maybe" in bad.output


async def test_made_up_credentials_or_federation_headers_do_not_get_html_past_the_check(
    app: Starlette, runtime: Runtime, client_at: ClientAt, members: Members
) -> None:
    await members.create("alice")
    await switch(app, runtime, on=True)
    anonymous = client_at()
    tricks = [
        ("/local", {"Authorization": "Bearer made-up"}),
        ("/local?access_token=made-up", {}),
        ("/local", {"Authorization": "Basic Zm9vOmJhcg=="}),
        ("/local", {"Signature": 'keyId="x"'}),
        ("/local", {"Accept": "application/activity+json, text/html"}),
        ("/@alice", {"Signature": 'keyId="x"', "Accept": "text/html"}),
        ("/about", {"Accept": "application/ld+json"}),
    ]
    for path, headers in tricks:
        response = await anonymous.get(path, headers=headers)
        assert response.status_code == 503, (path, headers, response.status_code)
        assert "Checking your browser" in response.text, (path, headers)
    # An app's own token (anyone can register an app and get one) is not a member either.
    app_token = await member_token(runtime, None)
    with_app = await anonymous.get("/local", headers={"Authorization": f"Bearer {app_token}"})
    assert with_app.status_code == 503
    assert (await anonymous.get("/api/v1/timelines/public", headers={
        "Authorization": f"Bearer {app_token}"})).status_code == 200  # fmt: skip
    # A server asking for the AS2 document still gets it.
    actor = await anonymous.get("/@alice", headers={"Accept": "application/activity+json"})
    assert actor.status_code == 200
    assert actor.headers["content-type"].startswith("application/activity+json")
