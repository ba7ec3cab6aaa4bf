"""Instance documents, sign-up through an app, credentials, profiles and relationships."""

from __future__ import annotations

import httpx
import pytest

from parley.domain.instance.service import update_instance_info
from parley.runtime import Runtime
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api


async def test_instance_documents_match_the_spec_and_advertise_no_missing_feature(
    client: httpx.AsyncClient,
) -> None:
    v2 = (await client.get("/api/v2/instance")).json()
    assert_conforms(v2, "Instance")
    assert v2["configuration"]["statuses"]["max_characters"] == 1000
    assert v2["configuration"]["urls"]["streaming"] == "wss://parley.test"
    assert "vapid" not in v2["configuration"]
    assert v2["api_versions"]["mastodon"] >= 1
    assert v2["registrations"]["enabled"] is True
    v1 = (await client.get("/api/v1/instance")).json()
    assert_conforms(v1, "V1Instance")
    assert v1["urls"] == {"streaming_api": "wss://parley.test"}
    assert (await client.get("/api/v1/custom_emojis")).json() == []
    rules = (await client.get("/api/v1/instance/rules")).json()
    assert_conforms(rules, "Rule[]")


async def test_sign_up_through_an_app_returns_a_working_token(api: Api) -> None:
    app_token = await api.token(None, scopes="read write")
    headers = {"Authorization": f"Bearer {app_token}"}
    token = await api.call(
        "POST",
        "/api/v1/accounts",
        headers=headers,
        data={
            "username": "newbie",
            "email": "newbie@example.org",
            "password": "a long enough password",
            "agreement": "true",
            "locale": "en",
        },
        schema="Token",
    )
    me = await api.call(
        "GET",
        "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        schema="CredentialAccount",
    )
    assert me["username"] == "newbie"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "has space"}, "username"),
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"username": "taken"}, "username"),
    ],
)
async def test_bad_sign_ups_get_field_details_and_create_nothing(
    api: Api, data: dict[str, str], field: str
) -> None:
    await api.members.create("taken")
    headers = {"Authorization": f"Bearer {await api.token(None, scopes='read write')}"}
    fields = {
        "username": "fresh",
        "email": "fresh@example.org",
        "password": "a long enough password",
        "agreement": "true",
        **data,
    }
    response = await api.client.post("/api/v1/accounts", headers=headers, data=fields)
    assert response.status_code == 422
    body = response.json()
    assert_conforms(body, "ValidationError")
    assert field in body["details"]
    lookup = await api.client.get("/api/v1/accounts/lookup", params={"acct": "fresh"})
    assert lookup.status_code == 404


async def test_sign_up_is_refused_when_registrations_are_closed(api: Api, runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await update_instance_info(session, registration_mode="closed")
    headers = {"Authorization": f"Bearer {await api.token(None, scopes='read write')}"}
    response = await api.client.post(
        "/api/v1/accounts",
        headers=headers,
        data={"username": "x1", "email": "x1@example.org", "password": "long password 1"},
    )
    assert response.status_code == 403
    assert (await api.client.get("/api/v2/instance")).json()["registrations"]["enabled"] is False


async def test_sign_up_needs_an_app_token(api: Api) -> None:
    body = await api.call(
        "POST", "/api/v1/accounts", status=401, data={"username": "x", "email": "x@example.org"}
    )
    assert body == {"error": "The access token is invalid"}
    reader = await api.token(None, scopes="read")
    await api.call(
        "POST",
        "/api/v1/accounts",
        status=403,
        headers={"Authorization": f"Bearer {reader}"},
        data={"username": "x"},
    )


async def test_update_credentials_changes_the_profile(api: Api) -> None:
    alice = await api.member("alice")
    me = await api.call(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        alice,
        data={
            "display_name": "Alice A.",
            "note": "Hello #world",
            "locked": "true",
            "fields_attributes[0][name]": "Web",
            "fields_attributes[0][value]": "https://alice.example",
        },
        schema="CredentialAccount",
    )
    assert me["display_name"] == "Alice A."
    assert me["locked"] is True
    assert me["source"]["note"] == "Hello #world"
    assert me["fields"][0]["name"] == "Web"
    assert "href" in me["fields"][0]["value"]


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": "x" * 31},
        {"note": "x" * 501},
        {f"fields_attributes[{i}][name]": f"n{i}" for i in range(5)},
    ],
)
async def test_bad_profile_updates_change_nothing(api: Api, data: dict[str, str]) -> None:
    alice = await api.member("alice")
    body = await api.call(
        "PATCH", "/api/v1/accounts/update_credentials", alice, status=422, data=data
    )
    assert body["error"].startswith("Validation failed")
    me = await api.call("GET", "/api/v1/accounts/verify_credentials", alice)
    assert me["display_name"] == ""
    assert me["note"] == ""
    assert me["fields"] == []


async def test_scopes_are_enforced(api: Api) -> None:
    reader = await api.member("reader", scopes="read")
    body = await api.call(
        "PATCH", "/api/v1/accounts/update_credentials", reader, status=403, data={"note": "x"}
    )
    assert body == {"error": "This action is outside the authorized scopes"}
    granular = await api.member("granular", scopes="read:statuses")
    await api.call("GET", "/api/v1/accounts/verify_credentials", granular, status=403)
    await api.call("GET", "/api/v1/timelines/home", granular)


async def test_bad_tokens_are_401_even_on_public_endpoints(api: Api) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    for path in ("/api/v1/timelines/public", "/api/v1/accounts/verify_credentials"):
        body = await api.call("GET", path, headers=headers, status=401)
        assert body == {"error": "The access token is invalid"}


async def test_accounts_lookup_and_search(api: Api) -> None:
    alice = await api.member("alice")
    found = await api.call("GET", "/api/v1/accounts/lookup?acct=alice", schema="Account")
    assert found["id"] == alice.id
    same = await api.call("GET", "/api/v1/accounts/lookup?acct=@alice@parley.test")
    assert same["id"] == alice.id
    await api.call("GET", f"/api/v1/accounts/{alice.id}", schema="Account")
    for bad in ("123", "nope", "99999999999999999999999"):
        assert await api.call("GET", f"/api/v1/accounts/{bad}", status=404) == {
            "error": "Record not found"
        }
    hits = await api.call("GET", "/api/v1/accounts/search?q=ali", alice, schema="Account[]")
    assert [h["username"] for h in hits] == ["alice"]
    results = await api.call("GET", "/api/v2/search?q=ali", alice, schema="Search")
    assert [a["username"] for a in results["accounts"]] == ["alice"]
    await api.call("GET", "/api/v1/preferences", alice, schema="Preferences")


async def test_follow_block_mute_and_lists_of_them(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    rel = await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice, schema="Relationship")
    assert rel["following"] is True
    followers = await api.call(
        "GET", f"/api/v1/accounts/{bob.id}/followers", alice, schema="Account[]"
    )
    assert [a["id"] for a in followers] == [alice.id]
    rels = await api.call(
        "GET", f"/api/v1/accounts/relationships?id[]={bob.id}", alice, schema="Relationship[]"
    )
    assert rels[0]["following"] is True
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", alice, status=422)
    await api.call("POST", "/api/v1/accounts/123/follow", alice, status=404)
    rel = await api.call("POST", f"/api/v1/accounts/{bob.id}/mute", alice, schema="Relationship")
    assert rel["muting"] is True
    mutes = await api.call("GET", "/api/v1/mutes", alice, schema="Account[]")
    assert [a["id"] for a in mutes] == [bob.id]
    rel = await api.call("POST", f"/api/v1/accounts/{alice.id}/block", bob)
    assert rel["blocking"] is True
    blocks = await api.call("GET", "/api/v1/blocks", bob, schema="Account[]")
    assert [a["id"] for a in blocks] == [alice.id]
    rel = await api.call("POST", f"/api/v1/accounts/{alice.id}/unblock", bob)
    assert rel["blocking"] is False


async def test_follow_requests_of_a_locked_account(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    await api.call("PATCH", "/api/v1/accounts/update_credentials", bob, data={"locked": "true"})
    rel = await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    assert rel["requested"] is True
    pending = await api.call("GET", "/api/v1/follow_requests", bob, schema="Account[]")
    assert [a["id"] for a in pending] == [alice.id]
    me = await api.call("GET", "/api/v1/accounts/verify_credentials", bob)
    assert me["source"]["follow_requests_count"] == 1
    await api.call("POST", f"/api/v1/follow_requests/{bob.id}/authorize", bob, status=404)
    rel = await api.call("POST", f"/api/v1/follow_requests/{alice.id}/authorize", bob)
    assert rel["followed_by"] is True
