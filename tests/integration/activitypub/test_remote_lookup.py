"""Finding remote accounts by address or URL from search (Mastodon API and web), then following.

The remote server is faked by `remote` (tests/unit/activitypub/conftest.py); WebFinger
answers are registered as documents by `serve_webfinger`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import func, select

from parley.activitypub.federation import Federation
from parley.domain.accounts.models import Account
from parley.domain.federation.lookup import resolve_account
from parley.domain.relationships.models import FollowRequest
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conftest import Api, api
from tests.integration.web.conftest import Browser, browser
from tests.unit.activitypub.conftest import PUBLIC_IP, Remote, fed, remote

__all__ = ["api", "browser", "fed", "remote"]


def serve_webfinger(remote: Remote, username: str, host: str = "mastodon.example") -> None:
    actor = remote.actor(username, host=host)
    remote.documents[f"https://{host}/.well-known/webfinger"] = {
        "subject": f"acct:{username}@{host}",
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor.uri},
            {"rel": "http://webfinger.net/rel/profile-page", "href": f"https://{host}/@{username}"},
        ],
    }


async def remote_accounts(runtime: Runtime) -> list[str]:
    async with runtime.db.reader() as session:
        found = await session.scalars(select(Account).where(Account.domain.is_not(None)))
        return [a.acct() for a in found]


async def test_v2_search_with_resolve_fetches_and_returns_the_account(
    api: Api, remote: Remote, runtime: Runtime
) -> None:
    serve_webfinger(remote, "bob")
    alice = await api.member("alice")
    found = await api.call(
        "GET", "/api/v2/search?q=@bob@mastodon.example&resolve=true", alice, schema="Search"
    )
    assert [a["acct"] for a in found["accounts"]] == ["bob@mastodon.example"]
    assert await remote_accounts(runtime) == ["bob@mastodon.example"]
    # Known now: found without resolving, and by accounts/search with resolve too.
    again = await api.call("GET", "/api/v2/search?q=bob@mastodon.example", alice, schema="Search")
    assert [a["acct"] for a in again["accounts"]] == ["bob@mastodon.example"]
    listed = await api.call(
        "GET", "/api/v1/accounts/search?q=bob@mastodon.example&resolve=true", alice
    )
    assert [a["acct"] for a in listed] == ["bob@mastodon.example"]


async def test_accounts_search_resolves_a_profile_url(
    api: Api, remote: Remote, runtime: Runtime
) -> None:
    serve_webfinger(remote, "bob")
    alice = await api.member("alice")
    listed = await api.call(
        "GET",
        "/api/v1/accounts/search",
        alice,
        params={"q": "https://mastodon.example/@bob", "resolve": "true"},
    )
    assert [a["acct"] for a in listed] == ["bob@mastodon.example"]


async def test_without_resolve_or_a_member_nothing_is_fetched(
    api: Api, remote: Remote, runtime: Runtime
) -> None:
    serve_webfinger(remote, "bob")
    alice = await api.member("alice")
    found = await api.call(
        "GET", "/api/v2/search?q=bob@mastodon.example&resolve=false", alice, schema="Search"
    )
    assert found["accounts"] == []
    await api.call("GET", "/api/v2/search?q=bob@mastodon.example&resolve=true", status=401)
    app_only = await api.token(None, "read")
    # An app token is no member: Mastodon's 401 for resolving without one.
    await api.call(
        "GET",
        "/api/v2/search?q=bob@mastodon.example&resolve=true",
        headers={"Authorization": f"Bearer {app_only}"},
        status=401,
    )
    assert remote.requests == []
    assert await remote_accounts(runtime) == []


async def test_a_private_address_is_refused(
    api: Api, remote: Remote, fed: Federation, runtime: Runtime
) -> None:
    serve_webfinger(remote, "bob", host="intranet.example")

    async def resolver(host: str, port: int) -> list[str]:
        return ["10.0.0.7"] if host == "intranet.example" else [PUBLIC_IP]

    fed.resolver = resolver
    alice = await api.member("alice")
    for query in ("bob@intranet.example", "https://intranet.example/users/bob"):
        found = await api.call(
            "GET", "/api/v2/search", alice, params={"q": query, "resolve": "true"}, schema="Search"
        )
        assert found["accounts"] == []
    assert remote.requests == []
    assert await remote_accounts(runtime) == []


async def test_web_search_finds_and_follows_a_remote_account(
    browser: Browser, remote: Remote, runtime: Runtime, members: Members
) -> None:
    serve_webfinger(remote, "bob")
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    page = await browser.get("/search", params={"q": "@bob@mastodon.example"})
    assert page.status_code == 200
    assert "@bob@mastodon.example" in page.text
    assert 'href="/@bob@mastodon.example">Follow</a>' in page.text
    profile = await browser.get("/@bob@mastodon.example")
    assert profile.status_code == 200
    bob_id = re.search(r'action="/accounts/(\d+)/follow"', profile.text)
    assert bob_id is not None
    await browser.post(
        f"/accounts/{bob_id.group(1)}/follow",
        {"next": "/@bob@mastodon.example"},
        page="/@bob@mastodon.example",
    )
    async with runtime.db.reader() as session:
        request = await session.scalar(select(FollowRequest))
        jobs = await session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "event.follow.requested")
        )
    assert request is not None
    assert request.target_id == int(bob_id.group(1))
    assert jobs == 1


async def test_only_remote_addresses_and_https_urls_are_resolved(runtime: Runtime) -> None:
    asked: list[str] = []

    async def resolver(query: str) -> int | None:
        asked.append(query)
        if query == "boom@broken.example":
            raise RuntimeError("network down")
        return 7

    ctx = replace(runtime.ctx, resolve_remote_account=resolver)
    for query in (
        "bob",
        "bob@",
        "bob@localhost.",
        "bob@10.0.0.7/x",
        "bob@parley.test",
        "https://parley.test/@bob",
        "http://mastodon.example/@bob",
        "https://user:pw@mastodon.example/@bob",
        "boom@broken.example",
    ):
        assert await resolve_account(ctx, query) is None, query
    assert await resolve_account(ctx, "acct:Bob@Mastodon.Example") == 7
    assert await resolve_account(ctx, "https://mastodon.example/@bob") == 7
    assert asked == [
        "boom@broken.example",
        "Bob@mastodon.example",
        "https://mastodon.example/@bob",
    ]
