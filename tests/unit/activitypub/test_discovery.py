"""WebFinger, host-meta, NodeInfo, actors, posts and collections as other servers see them."""

from __future__ import annotations

import httpx
import pytest

from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.runtime import Runtime
from tests.conftest import Members

AS2 = "application/activity+json"


async def _post(runtime: Runtime, account_id: int, text: str, visibility: str) -> int:
    async with runtime.db.transaction() as session:
        author = await session.get(Account, account_id)
        assert author is not None
        post = await posts.create_post(
            session, runtime.ctx, author=author, text=text, visibility=visibility
        )
        return post.id


async def test_webfinger_finds_a_local_member(client: httpx.AsyncClient, members: Members) -> None:
    await members.create("alice")
    response = await client.get("/.well-known/webfinger?resource=acct:alice@parley.test")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    jrd = response.json()
    assert jrd["subject"] == "acct:alice@parley.test"
    links = {link["rel"]: link for link in jrd["links"]}
    assert links["self"] == {
        "rel": "self",
        "type": AS2,
        "href": "https://parley.test/users/alice",
    }
    assert links["http://webfinger.net/rel/profile-page"]["href"] == "https://parley.test/@alice"
    assert "{uri}" in links["http://ostatus.org/schema/1.0/subscribe"]["template"]


@pytest.mark.parametrize(
    "resource",
    ["https://parley.test/users/alice", "https://parley.test/@alice", "acct:ALICE@parley.test"],
)
async def test_webfinger_takes_urls_and_any_case(
    client: httpx.AsyncClient, members: Members, resource: str
) -> None:
    await members.create("alice")
    response = await client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:alice@parley.test"


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("acct:nobody@parley.test", 404),
        ("acct:alice@elsewhere.example", 404),
        ("https://elsewhere.example/users/alice", 404),
        ("", 400),
        ("alice", 400),
        ("acct:parley.test", 400),
        ("mailto:alice@parley.test", 400),
    ],
)
async def test_webfinger_rejects_unknown_and_bad_resources(
    client: httpx.AsyncClient, members: Members, resource: str, status: int
) -> None:
    await members.create("alice")
    response = await client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == status


async def test_webfinger_finds_the_instance_actor(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/webfinger?resource=acct:parley.test@parley.test")
    assert response.json()["links"][0]["href"] == "https://parley.test/actor"


async def test_host_meta_points_at_webfinger(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/host-meta")
    assert response.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="https://parley.test/.well-known/webfinger?resource={uri}"' in response.text


async def test_nodeinfo_reports_real_usage(
    client: httpx.AsyncClient, members: Members, runtime: Runtime
) -> None:
    user = await members.create("alice")
    await members.create("bob")
    await _post(runtime, user.account_id, "hello", "public")
    await _post(runtime, user.account_id, "secret", "private")
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert {link["href"] for link in links} == {
        "https://parley.test/nodeinfo/2.0",
        "https://parley.test/nodeinfo/2.1",
    }
    info = (await client.get("/nodeinfo/2.1")).json()
    assert info["version"] == "2.1"
    assert info["software"]["name"] == "parley"
    assert info["protocols"] == ["activitypub"]
    assert info["usage"]["users"]["total"] == 2
    assert info["usage"]["users"]["activeMonth"] == 1  # alice posted; nobody signed in
    assert info["usage"]["localPosts"] == 2
    assert info["openRegistrations"] is True
    assert info["metadata"] == {}
    assert (await client.get("/nodeinfo/3.0")).status_code == 404


async def test_actor_document_has_mastodon_shape(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    response = await client.get("/users/alice", headers={"Accept": AS2})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json; charset=utf-8"
    actor = response.json()
    assert actor["id"] == "https://parley.test/users/alice"
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["inbox"] == "https://parley.test/users/alice/inbox"
    assert actor["outbox"] == "https://parley.test/users/alice/outbox"
    assert actor["followers"] == "https://parley.test/users/alice/followers"
    assert actor["featured"] == "https://parley.test/users/alice/collections/featured"
    assert actor["endpoints"]["sharedInbox"] == "https://parley.test/inbox"
    assert actor["publicKey"]["id"] == "https://parley.test/users/alice#main-key"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert actor["manuallyApprovesFollowers"] is False
    assert "https://w3id.org/security/v1" in actor["@context"]
    assert "private" not in response.text.lower().replace("privatekey", "")


async def test_unknown_actor_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/users/nobody", headers={"Accept": AS2})).status_code == 404


async def test_browsers_asking_for_an_actor_are_sent_to_the_profile(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    response = await client.get("/users/alice", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["location"] == "https://parley.test/@alice"


@pytest.mark.parametrize(
    "accept",
    [AS2, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'],
)
async def test_profile_url_serves_as2_to_servers(
    client: httpx.AsyncClient, members: Members, accept: str
) -> None:
    await members.create("alice")
    response = await client.get("/@alice", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.json()["id"] == "https://parley.test/users/alice"
    assert "Accept" in response.headers["vary"]


async def test_instance_actor_has_a_stable_key(client: httpx.AsyncClient) -> None:
    first = (await client.get("/actor", headers={"Accept": AS2})).json()
    second = (await client.get("/actor", headers={"Accept": AS2})).json()
    assert first["type"] == "Application"
    assert first["publicKey"]["id"] == "https://parley.test/actor#main-key"
    assert first["publicKey"]["publicKeyPem"] == second["publicKey"]["publicKeyPem"]


async def test_public_post_is_a_note(
    client: httpx.AsyncClient, members: Members, runtime: Runtime
) -> None:
    user = await members.create("alice")
    post_id = await _post(runtime, user.account_id, "Hello #fediverse", "public")
    response = await client.get(f"/users/alice/statuses/{post_id}", headers={"Accept": AS2})
    note = response.json()
    assert note["type"] == "Note"
    assert note["id"] == f"https://parley.test/users/alice/statuses/{post_id}"
    assert note["attributedTo"] == "https://parley.test/users/alice"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note["cc"] == ["https://parley.test/users/alice/followers"]
    assert {
        "type": "Hashtag",
        "href": "https://parley.test/tags/fediverse",
        "name": "#fediverse",
    } in note["tag"]
    assert "fediverse" in note["content"]
    via_html_url = await client.get(f"/@alice/{post_id}", headers={"Accept": AS2})
    assert via_html_url.json()["id"] == note["id"]
    create = (
        await client.get(f"/users/alice/statuses/{post_id}/activity", headers={"Accept": AS2})
    ).json()
    assert create["type"] == "Create"
    assert create["object"]["id"] == note["id"]


async def test_unlisted_post_is_addressed_to_followers_with_public_in_cc(
    client: httpx.AsyncClient, members: Members, runtime: Runtime
) -> None:
    user = await members.create("alice")
    post_id = await _post(runtime, user.account_id, "quiet", "unlisted")
    note = (await client.get(f"/users/alice/statuses/{post_id}", headers={"Accept": AS2})).json()
    assert note["to"] == ["https://parley.test/users/alice/followers"]
    assert note["cc"] == ["https://www.w3.org/ns/activitystreams#Public"]


@pytest.mark.parametrize("visibility", ["private", "direct"])
async def test_followers_only_and_direct_posts_are_hidden_from_anonymous_fetches(
    client: httpx.AsyncClient, members: Members, runtime: Runtime, visibility: str
) -> None:
    user = await members.create("alice")
    post_id = await _post(runtime, user.account_id, "secret", visibility)
    for path in (f"/users/alice/statuses/{post_id}", f"/@alice/{post_id}"):
        response = await client.get(path, headers={"Accept": AS2})
        assert response.status_code == 404
        assert "secret" not in response.text


async def test_outbox_lists_public_posts_only(
    client: httpx.AsyncClient, members: Members, runtime: Runtime
) -> None:
    user = await members.create("alice")
    await _post(runtime, user.account_id, "for all", "public")
    await _post(runtime, user.account_id, "for friends", "private")
    outbox = (await client.get("/users/alice/outbox", headers={"Accept": AS2})).json()
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 1
    page = (await client.get(outbox["first"], headers={"Accept": AS2})).json()
    assert [item["object"]["content"] for item in page["orderedItems"]] == ["<p>for all</p>"]


async def test_followers_collection_shows_only_a_count(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    followers = (await client.get("/users/alice/followers", headers={"Accept": AS2})).json()
    assert followers == {
        "@context": followers["@context"],
        "id": "https://parley.test/users/alice/followers",
        "type": "OrderedCollection",
        "totalItems": 0,
    }
    featured = (
        await client.get("/users/alice/collections/featured", headers={"Accept": AS2})
    ).json()
    assert featured["orderedItems"] == []
