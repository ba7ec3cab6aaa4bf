"""GET /api/v2/search for statuses and hashtags."""

from __future__ import annotations

from tests.integration.mastodon.conftest import Api


async def test_statuses_and_hashtags_are_found(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    posted = await api.call(
        "POST", "/api/v1/statuses", alice, data={"status": "The walrus sings #Walruses"}
    )
    await api.call("POST", "/api/v1/statuses", alice, data={"status": "nothing here"})
    found = await api.call("GET", "/api/v2/search?q=WALRUS", bob, schema="Search")
    assert [s["id"] for s in found["statuses"]] == [posted["id"]]
    assert [t["name"] for t in found["hashtags"]] == ["Walruses"]
    assert found["hashtags"][0]["following"] is False
    only_tags = await api.call(
        "GET", "/api/v2/search?q=%23walr&type=hashtags", bob, schema="Search"
    )
    assert only_tags["statuses"] == []
    assert len(only_tags["hashtags"]) == 1
    by_author = await api.call(
        "GET", f"/api/v2/search?q=walrus&type=statuses&account_id={bob.id}", bob, schema="Search"
    )
    assert by_author["statuses"] == []
    paged = await api.call("GET", "/api/v2/search?q=walrus&offset=1", bob, schema="Search")
    assert paged["statuses"] == []


async def test_a_followers_only_status_is_not_found_by_a_stranger(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await api.call(
        "POST", "/api/v1/statuses", alice, data={"status": "secret walrus", "visibility": "private"}
    )
    found = await api.call("GET", "/api/v2/search?q=walrus", bob, schema="Search")
    assert found["statuses"] == []
    own = await api.call("GET", "/api/v2/search?q=walrus", alice, schema="Search")
    assert len(own["statuses"]) == 1


async def test_bad_search_parameters_are_refused(api: Api) -> None:
    alice = await api.member("alice")
    await api.call("GET", "/api/v2/search?q=x&type=posts", alice, status=422)
    for blank in ("", "%20"):
        body = await api.call("GET", f"/api/v2/search?q={blank}", alice, status=400)
        assert body == {"error": "param is missing or the value is empty: q"}
    await api.call("GET", "/api/v2/search", alice, status=400)
    await api.call("GET", "/api/v2/search?q=x&offset=-1", alice, status=422)
    await api.call("GET", "/api/v2/search?q=x&account_id=abc", alice, status=404)
    # Signed out, as Mastodon: no paging and no resolving (searching itself is allowed).
    body = await api.call("GET", "/api/v2/search?q=x&type=accounts&offset=0", status=401)
    assert body == {"error": "Search queries pagination is not supported without authentication"}
    body = await api.call("GET", "/api/v2/search?q=x&resolve=true", status=401)
    assert body["error"].startswith("Search queries that resolve remote resources")


async def test_following_limits_accounts_and_followed_tags_are_marked(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bobby")
    await api.member("bobcat")
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    await api.call("POST", "/api/v1/tags/bobtail/follow", alice)
    everyone = await api.call("GET", "/api/v2/search?q=bob&type=accounts", alice, schema="Search")
    assert {a["username"] for a in everyone["accounts"]} == {"bobby", "bobcat"}
    followed = await api.call(
        "GET", "/api/v2/search?q=bob&type=accounts&following=true", alice, schema="Search"
    )
    assert [a["username"] for a in followed["accounts"]] == ["bobby"]
    tags = await api.call("GET", "/api/v2/search?q=bobt&type=hashtags", alice, schema="Search")
    assert [(t["name"], t["following"]) for t in tags["hashtags"]] == [("bobtail", True)]
