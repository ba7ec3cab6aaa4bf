"""OAuth 2: app registration, the token grants, the consent page, revocation, metadata."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from parley.domain.oauth.models import OAuthAccessToken, OAuthApplication
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api

REDIRECT = "https://app.example/callback"


async def _register(client: httpx.AsyncClient, **data: str) -> dict[str, str]:
    fields = {"client_name": "Tester", "redirect_uris": REDIRECT, "scopes": "read write follow"}
    fields.update(data)
    response = await client.post("/api/v1/apps", data=fields)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    assert_conforms(body, "CredentialApplication")
    return body


async def _count(runtime: Runtime, model: type) -> int:
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_registering_an_app_returns_its_credentials(client: httpx.AsyncClient) -> None:
    body = await _register(client, website="https://app.example")
    assert body["name"] == "Tester"
    assert body["redirect_uris"] == [REDIRECT]
    assert body["scopes"] == ["read", "write", "follow"]
    assert body["client_id"]
    assert body["client_secret"]
    assert "vapid_key" not in body  # no Web Push here


async def test_an_app_registers_with_json_and_several_redirect_uris(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/apps",
        json={"client_name": "Elk", "redirect_uris": [REDIRECT, "elk://callback"]},
    )
    assert response.status_code == 200
    assert response.json()["redirect_uris"] == [REDIRECT, "elk://callback"]
    assert response.json()["scopes"] == ["read"]


@pytest.mark.parametrize(
    "data",
    [
        {"client_name": ""},
        {"redirect_uris": ""},
        {"redirect_uris": "not a uri"},
        {"redirect_uris": "https://x.example/#frag"},
        {"scopes": "read admin:everything"},
        {"scopes": "fly"},
        {"website": "javascript:alert(1)"},
    ],
)
async def test_bad_app_registrations_are_refused_and_store_nothing(
    client: httpx.AsyncClient, runtime: Runtime, data: dict[str, str]
) -> None:
    fields = {"client_name": "Tester", "redirect_uris": REDIRECT, **data}
    response = await client.post("/api/v1/apps", data=fields)
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: ")
    assert_conforms(response.json(), "Error")
    assert await _count(runtime, OAuthApplication) == 0


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/apps", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert_conforms(response.json(), "Error")


async def _token(client: httpx.AsyncClient, **data: str) -> httpx.Response:
    return await client.post("/oauth/token", data=data)


async def test_password_grant_issues_a_token_that_works(
    client: httpx.AsyncClient, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")
    app = await _register(client)
    response = await _token(
        client,
        grant_type="password",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        username="alice@example.org",
        password=PASSWORD,
        scope="read write",
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert_conforms(token, "Token")
    assert token["scope"] == "read write"
    assert token["token_type"] == "Bearer"
    check = await client.get(
        "/api/v1/apps/verify_credentials",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert check.status_code == 200
    assert_conforms(check.json(), "Application")
    async with runtime.db.reader() as session:
        stored = (await session.scalars(select(OAuthAccessToken))).one()
    assert stored.token_hash != token["access_token"]  # only the digest is kept
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"password": "wrong password!"}, 400, "invalid_grant"),
        ({"username": "nobody@example.org"}, 400, "invalid_grant"),
        ({"client_secret": "nope"}, 401, "invalid_client"),
        ({"client_id": "nope"}, 401, "invalid_client"),
        ({"grant_type": "refresh_token"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "unsupported_grant_type"),
        ({"scope": "read admin:read"}, 400, "invalid_scope"),
        ({"scope": "push read write follow"}, 400, "invalid_scope"),
    ],
)
async def test_bad_token_requests_get_oauth_errors_and_no_token(
    client: httpx.AsyncClient,
    members: Members,
    runtime: Runtime,
    change: dict[str, str],
    status: int,
    error: str,
) -> None:
    await members.create("alice")
    app = await _register(client)
    data = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": "alice",
        "password": PASSWORD,
        "scope": "read",
    }
    response = await _token(client, **{**data, **change})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert_conforms(response.json(), "Error")
    assert await _count(runtime, OAuthAccessToken) == 0


async def test_client_credentials_give_an_app_token_that_is_not_a_member(
    client: httpx.AsyncClient,
) -> None:
    app = await _register(client)
    response = await _token(
        client,
        grant_type="client_credentials",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get("/api/v1/apps/verify_credentials", headers=headers)).status_code == 200
    userinfo = await client.get("/oauth/userinfo", headers=headers)
    assert userinfo.status_code == 422
    assert userinfo.json() == {"error": "This method requires an authenticated user"}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def _authorize(
    client: httpx.AsyncClient, params: dict[str, str], *, login: str = "alice"
) -> httpx.Response:
    """Drive the consent page as a browser: sign in with the form, then approve."""
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    assert "Sign in" in page.text
    form = {**params, "csrf_token": _csrf(page.text), "action": "sign_in"}
    consent = await client.post(
        "/oauth/authorize", data={**form, "login": login, "password": PASSWORD}
    )
    assert consent.status_code == 200, consent.text
    assert "Authorize" in consent.text
    assert "@alice" in consent.text
    return await client.post(
        "/oauth/authorize", data={**params, "csrf_token": _csrf(consent.text), "action": "approve"}
    )


async def test_authorization_code_flow_with_pkce(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    app = await _register(client)
    verifier, challenge = _pkce()
    params = {
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "read write",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    approved = await _authorize(client, params)
    assert approved.status_code == 303
    target = urlsplit(approved.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": REDIRECT,
        "code": code,
    }
    wrong = await _token(client, **exchange, code_verifier=_pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # Without the verifier nobody else can use an intercepted code; the right one still works.
    response = await _token(client, **exchange, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read write"
    again = await _token(client, **{**exchange, "code": code}, code_verifier=verifier)
    assert again.status_code == 400


async def test_oob_shows_the_code_and_a_denial_goes_back_to_the_app(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    app = await _register(client, redirect_uris=f"urn:ietf:wg:oauth:2.0:oob\n{REDIRECT}")
    params = {
        "client_id": app["client_id"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "response_type": "code",
    }
    shown = await _authorize(client, params)
    assert shown.status_code == 200
    code = re.search(r'id="code" class="code" value="([^"]+)"', shown.text)
    assert code is not None
    token = await _token(
        client,
        grant_type="authorization_code",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        redirect_uri="urn:ietf:wg:oauth:2.0:oob",
        code=code.group(1),
    )
    assert token.status_code == 200
    assert token.json()["scope"] == "read"

    denied = await client.post(
        "/oauth/authorize",
        data={
            **params,
            "redirect_uri": REDIRECT,
            "state": "s1",
            "csrf_token": client.cookies["parley_csrf"],
            "action": "deny",
        },
    )
    assert denied.status_code == 303
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]


@pytest.mark.parametrize(
    ("change", "shown_here"),
    [
        ({"client_id": "unknown"}, True),
        ({"redirect_uri": "https://evil.example/steal"}, True),
        ({"response_type": "token"}, False),
        ({"scope": "admin:read"}, False),
        ({"scope": "read write follow push"}, False),  # more than the app registered
        ({"code_challenge": "short", "code_challenge_method": "S256"}, False),
        ({"code_challenge": "a" * 43, "code_challenge_method": "S512"}, False),
    ],
)
async def test_bad_authorization_requests_never_reach_a_consent_form(
    client: httpx.AsyncClient, change: dict[str, str], shown_here: bool
) -> None:
    app = await _register(client)
    params = {
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "state": "s",
        **change,
    }
    response = await client.get("/oauth/authorize", params=params)
    if shown_here:
        assert response.status_code == 400
        assert "Authorization failed" in response.text
    else:
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith(REDIRECT + "?")
        assert parse_qs(urlsplit(location).query)["state"] == ["s"]


async def test_consent_needs_the_csrf_token(client: httpx.AsyncClient, members: Members) -> None:
    await members.create("alice")
    app = await _register(client)
    params = {"client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code"}
    await client.get("/oauth/authorize", params=params)
    response = await client.post(
        "/oauth/authorize",
        data={**params, "action": "sign_in", "login": "alice", "password": PASSWORD},
    )
    assert response.status_code == 403


async def test_wrong_password_on_the_consent_page_shows_the_form_again(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    app = await _register(client)
    params = {"client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code"}
    page = await client.get("/oauth/authorize", params=params)
    response = await client.post(
        "/oauth/authorize",
        data={
            **params,
            "csrf_token": _csrf(page.text),
            "action": "sign_in",
            "login": "alice",
            "password": "not the password",
        },
    )
    assert response.status_code == 401
    assert 'name="password"' in response.text
    assert "parley_session" not in response.cookies


async def test_revoked_tokens_stop_working(client: httpx.AsyncClient, members: Members) -> None:
    await members.create("alice")
    app = await _register(client)
    token = (
        await _token(
            client,
            grant_type="password",
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            username="alice",
            password=PASSWORD,
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/apps/verify_credentials", headers=headers)).status_code == 200
    other = await _register(client)
    refused = await client.post(
        "/oauth/revoke",
        data={
            "client_id": other["client_id"],
            "client_secret": other["client_secret"],
            "token": token,
        },
    )
    assert refused.status_code == 403
    revoked = await client.post(
        "/oauth/revoke",
        data={"client_id": app["client_id"], "client_secret": app["client_secret"], "token": token},
    )
    assert revoked.status_code == 200
    assert revoked.json() == {}
    after = await client.get("/api/v1/apps/verify_credentials", headers=headers)
    assert after.status_code == 401
    assert after.json() == {"error": "The access token is invalid"}


async def test_server_metadata_lists_only_what_works(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    assert_conforms(body, "DiscoverOauthServerConfigurationResponse")
    assert body["token_endpoint"] == "https://parley.test/oauth/token"
    assert set(body["grant_types_supported"]) == {
        "authorization_code",
        "password",
        "client_credentials",
    }
    # Admin scopes are listed: staff tokens keep them (members' tokens lose them).
    assert "admin:read" in body["scopes_supported"]


async def test_userinfo_needs_the_profile_scope(api: Api) -> None:
    alice = await api.member("alice", scopes="profile")
    body = await api.call("GET", "/oauth/userinfo", alice)
    assert body["preferred_username"] == "alice"
    writer = await api.member("bob", scopes="write")
    body = await api.call("GET", "/oauth/userinfo", writer, status=403)
    assert body == {"error": "This action is outside the authorized scopes"}


async def test_unknown_api_paths_and_unsupported_features_are_404(api: Api) -> None:
    alice = await api.member("alice")
    for method, path in [
        ("GET", "/api/v1/nope"),
        ("GET", "/api/v1/push/subscription"),  # no Web Push (trends: an empty list)
        ("DELETE", "/api/v1/apps"),
    ]:
        body = await api.call(method, path, alice, status=404)
        assert body == {"error": "Record not found"}


async def test_cors_allows_any_origin_on_the_api(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/api/v1/apps",
        headers={
            "Origin": "https://elk.zone",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://elk.zone")
    response = await client.get(
        "/.well-known/oauth-authorization-server", headers={"Origin": "https://elk.zone"}
    )
    assert response.headers["access-control-allow-origin"] == "*"


async def test_default_avatar_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/avatars/original/missing.png")
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
