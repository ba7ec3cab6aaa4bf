"""Rate limits on every door: Mastodon's headers and 429s, web pages, federation, sign-ins."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from parley.config import Settings
from parley.runtime import Runtime
from tests.conftest import PASSWORD, TEST_DOMAIN, Members
from tests.integration.protection.conftest import REMOTE, ClientAt, csrf_of, member_token, sign_in


@pytest.mark.parametrize("overrides", [{"limit_api_anonymous": "3/minute"}])
async def test_anonymous_api_calls_past_the_limit_get_mastodons_429(client_at: ClientAt) -> None:
    client = client_at()
    for remaining in (2, 1, 0):
        response = await client.get("/api/v1/instance")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
        datetime.fromisoformat(response.headers["X-RateLimit-Reset"])
    refused = await client.get("/api/v2/instance")
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another address has its own count.
    assert (await client_at("198.51.100.20").get("/api/v1/instance")).status_code == 200


@pytest.mark.parametrize("overrides", [{"limit_per_token": "2/minute"}])
async def test_a_token_is_limited_on_its_own(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    token = await member_token(runtime, alice.account_id)
    client = client_at(headers={"Authorization": f"Bearer {token}"})
    first = await client.get("/api/v1/accounts/verify_credentials")
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert (await client.get("/api/v1/accounts/verify_credentials")).status_code == 200
    refused = await client.get("/api/v1/accounts/verify_credentials")
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    # The same member through another token is not refused by this token's count.
    other = await member_token(runtime, alice.account_id)
    fresh = client_at(headers={"Authorization": f"Bearer {other}"})
    assert (await fresh.get("/api/v1/accounts/verify_credentials")).status_code == 200


@pytest.mark.parametrize("overrides", [{"limit_per_account": "3/minute"}])
async def test_a_member_is_limited_across_tokens_and_the_web(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    for _ in range(2):
        token = await member_token(runtime, alice.account_id)
        headers = {"Authorization": f"Bearer {token}"}
        response = await client_at(headers=headers).get("/api/v1/accounts/verify_credentials")
        assert response.status_code == 200
    browser = client_at("198.51.100.30")
    assert (await sign_in(browser, "alice")).status_code == 303  # anonymous until signed in
    assert (await browser.get("/home")).status_code == 200  # the member's third request
    refused = await browser.get("/home")
    assert refused.status_code == 429
    assert "Slow down" in refused.text
    assert "text/html" in refused.headers["content-type"]


@pytest.mark.parametrize("overrides", [{"limit_per_ip": "2/minute"}])
async def test_web_pages_past_the_limit_get_a_friendly_page(client_at: ClientAt) -> None:
    client = client_at()
    assert (await client.get("/about")).status_code == 200
    assert (await client.get("/local")).status_code == 200
    refused = await client.get("/about")
    assert refused.status_code == 429
    assert "Slow down" in refused.text
    assert "Retry-After" in refused.headers
    assert refused.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("overrides", [{"limit_federation_ip": "1/minute"}])
async def test_inbox_deliveries_past_the_limit_get_429(client_at: ClientAt) -> None:
    client = client_at()
    first = await client.post(
        "/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"}
    )
    assert first.status_code != 429  # refused for its missing signature, not its rate
    refused = await client.post(
        "/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"}
    )
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}


@pytest.mark.parametrize("overrides", [{"limit_media_uploads": "1/hour"}])
async def test_media_uploads_are_limited_per_member(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    token = await member_token(runtime, alice.account_id)
    client = client_at(headers={"Authorization": f"Bearer {token}"})
    files = {"file": ("a.txt", b"not an image", "text/plain")}
    first = await client.post("/api/v2/media", files=files)
    assert first.status_code == 422  # counted, then refused for what it is
    refused = await client.post("/api/v2/media", files=files)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}


@pytest.mark.parametrize("overrides", [{"limit_sign_ups": "1/hour"}])
async def test_sign_ups_are_throttled_per_address_on_the_web_and_the_api(
    client_at: ClientAt, runtime: Runtime
) -> None:
    browser = client_at()
    token = await csrf_of(browser, "/auth/sign_up")
    form = {
        "username": "newbie",
        "email": "newbie@example.org",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "agreement": "1",
        "csrf_token": token,
    }
    assert (await browser.post("/auth/sign_up", data=form)).status_code == 303
    again = await client_at().post("/auth/sign_up", data={**form, "username": "second"})
    assert again.status_code == 429
    app_token = await member_token(runtime, None)
    api = client_at(headers={"Authorization": f"Bearer {app_token}"})
    refused = await api.post(
        "/api/v1/accounts",
        data={"username": "third", "email": "t@example.org", "password": PASSWORD,
              "agreement": "true", "locale": "en"},
    )  # fmt: skip
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    async with runtime.db.reader() as session:
        from parley.domain.accounts.queries import find_user_by_login

        assert await find_user_by_login(session, "second") is None
        assert await find_user_by_login(session, "third") is None


@pytest.mark.parametrize("overrides", [{"limit_sign_in_ip": "2/minute"}])
async def test_sign_in_attempts_are_limited_per_address(
    client_at: ClientAt, members: Members
) -> None:
    await members.create("alice")
    browser = client_at()
    assert (await sign_in(browser, "alice", "wrong")).status_code == 401
    assert (await sign_in(browser, "bob", "wrong")).status_code == 401
    refused = await sign_in(browser, "alice")  # even the right password
    assert refused.status_code == 429


@pytest.mark.parametrize("overrides", [{"limit_sign_in_account": "2/hour"}])
async def test_failed_sign_ins_lock_the_account_name_across_addresses_and_doors(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    assert (await sign_in(client_at("198.51.100.1"), "alice", "wrong")).status_code == 401
    assert (await sign_in(client_at("198.51.100.2"), "ALICE", "wrong")).status_code == 401
    refused = await sign_in(client_at("198.51.100.3"), "alice")  # right password, too late
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.text
    assert "parley_session" not in refused.cookies
    # The OAuth password grant counts against the same account name.
    app_token_owner = await member_token(runtime, None)
    assert app_token_owner
    async with runtime.db.transaction() as session:
        from parley.domain.oauth import service as oauth

        app, secret = await oauth.register_application(
            session, name="Script", redirect_uris=[oauth.OOB], scopes="read"
        )
    grant = await client_at("198.51.100.4").post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD,
              "client_id": app.client_id, "client_secret": secret, "scope": "read"},
    )  # fmt: skip
    assert grant.status_code == 429
    assert grant.json() == {"error": "Too many requests"}
    # Someone else's account is not affected.
    await members.create("bob")
    assert (await sign_in(client_at("198.51.100.5"), "bob")).status_code == 303


@pytest.mark.parametrize("overrides", [{"limit_sign_in_account": "3/hour"}])
async def test_other_spellings_of_one_login_count_against_the_same_account(
    client_at: ClientAt, members: Members
) -> None:
    # "@alice", "@@alice" and her e-mail address all sign in as alice: they share her count.
    await members.create("alice")
    for n, login in enumerate(("@alice", "@@Alice", " ALICE@example.org ")):
        answer = await sign_in(client_at(f"198.51.100.{20 + n}"), login, "wrong")
        assert answer.status_code == 401, login
    refused = await sign_in(client_at("198.51.100.30"), "@@@alice")
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.text


async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    client_at: ClientAt, settings: Settings
) -> None:
    assert "127.0.0.1" in settings.trusted_proxies
    proxy = client_at("127.0.0.1")
    # Behind the trusted proxy each forwarded client has its own count...
    for client in ("203.0.113.50", "203.0.113.51"):
        response = await proxy.get("/api/v1/instance", headers={"X-Forwarded-For": client})
        assert response.headers["X-RateLimit-Remaining"] == "299"
    # ...while an untrusted peer cannot choose its address by sending the header.
    direct = client_at(REMOTE)
    for forged, remaining in (("203.0.113.60", "299"), ("203.0.113.61", "298")):
        response = await direct.get("/api/v1/instance", headers={"X-Forwarded-For": forged})
        assert response.headers["X-RateLimit-Remaining"] == remaining


@pytest.mark.parametrize("overrides", [{"limit_per_ip": "1/minute"}])
async def test_safelisted_loopback_and_health_checks_are_never_limited(
    client_at: ClientAt,
) -> None:
    local = client_at("127.0.0.1")
    for _ in range(3):
        assert (await local.get("/about")).status_code == 200
    remote = client_at()
    for _ in range(3):
        assert (await remote.get("/health/live")).status_code == 200


def test_bad_limit_settings_are_refused_at_start(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="300/5 minutes"):
        Settings(domain=TEST_DOMAIN, limit_per_ip="lots")
    with pytest.raises(ValidationError, match="not an IP address"):
        Settings(domain=TEST_DOMAIN, trusted_proxies="10.0.0.1, nginx")


@pytest.mark.parametrize("overrides", [{"limit_two_factor": "2/hour"}])
async def test_wrong_second_factor_codes_lock_the_member_out_for_a_while(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    import pyotp

    from parley.domain.accounts import twofactor
    from parley.domain.accounts.models import User

    alice = await members.create("alice")
    async with runtime.db.transaction() as session:
        user = await session.get(User, alice.id)
        assert user is not None
        twofactor.begin_setup(user, account_label="alice")
        assert user.totp_pending_secret is not None
        secret = user.totp_pending_secret
        twofactor.confirm_setup(user, pyotp.TOTP(secret).now())
    browser = client_at()
    assert (await sign_in(browser, "alice")).status_code == 303  # on to the second factor
    page = await browser.get("/auth/two_factor")
    token = await csrf_of(browser, "/auth/two_factor")
    assert page.status_code == 200
    for _ in range(2):
        wrong = await browser.post("/auth/two_factor", data={"code": "000000", "csrf_token": token})
        assert wrong.status_code == 401
    refused = await browser.post(
        "/auth/two_factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    assert refused.status_code == 429  # even the right code, until the hour ends
    assert "parley_session" not in refused.cookies
