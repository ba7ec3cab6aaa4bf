"""GET / POST / DELETE /api/v1/domain_blocks: Link-paged strings, bad input, the
relationship's domain_blocking, and the blocked server's posts gone from the timelines."""

from __future__ import annotations

from parley.db.ids import new_id
from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.integration.mastodon.conftest import Api


async def _remote(runtime: Runtime, username: str, domain: str) -> Account:
    uri = f"https://{domain}/users/{username}"
    account = Account(id=new_id(), username=username, username_lower=username, domain=domain,
                      uri=uri, inbox_url=f"{uri}/inbox", fields=[], also_known_as=[])  # fmt: skip
    async with runtime.db.transaction() as session:
        session.add(account)
    return account


async def _post(runtime: Runtime, author: Account, text: str) -> Post:
    async with runtime.db.transaction() as session:
        loaded = await session.get(Account, author.id)
        assert loaded is not None
        return await posts.create_post(
            session, runtime.ctx, author=loaded, text=text, uri=f"{author.uri}/statuses/{new_id()}"
        )


async def test_blocking_listing_and_unblocking_servers(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    for domain in ("a.example", "b.example", "c.example"):
        await api.call("POST", "/api/v1/domain_blocks", alice, json={"domain": domain})
    await api.call("POST", "/api/v1/domain_blocks", alice, json={"domain": "a.example"})  # again
    first = await api.client.get("/api/v1/domain_blocks?limit=2", headers=alice.headers)
    assert first.status_code == 200
    assert first.json() == ["c.example", "b.example"]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(">")[0].lstrip("<")
    second = await api.client.get(next_url, headers=alice.headers)
    assert second.json() == ["a.example"]
    await api.call("DELETE", "/api/v1/domain_blocks?domain=b.example", alice)
    await api.call("DELETE", "/api/v1/domain_blocks", alice, json={"domain": "never.example"})
    assert await api.call("GET", "/api/v1/domain_blocks", alice) == ["c.example", "a.example"]


async def test_bad_domains_and_missing_scopes_are_refused(api: Api) -> None:
    alice = await api.member("alice")
    for body in ({}, {"domain": "parley.test"}, {"domain": "not a domain"},
                 {"domain": "https://x.example/@a"}, {"domain": "localhost"}):  # fmt: skip
        await api.call("POST", "/api/v1/domain_blocks", alice, status=422, json=body)
    reader = await api.member("reader", scopes="read")
    await api.call(
        "POST", "/api/v1/domain_blocks", reader, status=403, json={"domain": "x.example"}
    )
    await api.call("GET", "/api/v1/domain_blocks", None, status=401)
    assert await api.call("GET", "/api/v1/domain_blocks", alice) == []


async def test_a_blocked_server_leaves_timelines_and_shows_in_relationships(
    api: Api, runtime: Runtime
) -> None:
    alice = await api.member("alice")
    troll = await _remote(runtime, "troll", "spam.example")
    friend = await _remote(runtime, "friend", "fine.example")
    bad = await _post(runtime, troll, "spam from afar")
    good = await _post(runtime, friend, "kind words")
    before = await api.call("GET", "/api/v1/timelines/public", alice, schema="Status[]")
    assert {str(bad.id), str(good.id)} <= {s["id"] for s in before}
    await api.call("POST", "/api/v1/domain_blocks", alice, data={"domain": "spam.example"})
    after = await api.call("GET", "/api/v1/timelines/public", alice, schema="Status[]")
    assert str(bad.id) not in {s["id"] for s in after}
    assert str(good.id) in {s["id"] for s in after}
    rels = await api.call(
        "GET", f"/api/v1/accounts/relationships?id[]={troll.id}&id[]={friend.id}", alice,
        schema="Relationship[]",
    )  # fmt: skip
    assert [r["domain_blocking"] for r in rels] == [True, False]
