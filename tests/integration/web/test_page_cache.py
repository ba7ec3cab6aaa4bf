"""Kept /home pages (parley.web.page_cache): served again only until something they show changes,
and never to another browser."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select, update
from starlette.applications import Starlette

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, PasswordReset, User
from parley.domain.interactions import service as interactions
from parley.domain.moderation import ip_blocks
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Follow
from parley.domain.relationships.service import block_account, follow_account, remove_follower
from parley.domain.timelines.models import FeedEntry
from parley.infra.pubsub import MemoryBroker
from parley.infra.tokens import digest
from parley.runtime import Runtime
from parley.web.page_cache import (
    Page,
    PageCacheMiddleware,
    PageInvalidation,
    PageStore,
    invalidation,
)
from parley.web.page_cache.store import MEMBER_PAGES
from tests.conftest import TEST_DOMAIN, Members
from tests.integration.mastodon.conftest import Api
from tests.integration.web.conftest import Browser
from tests.unit.activitypub.conftest import Remote, public_resolver
from tests.unit.activitypub.test_inbox import follow as inbox_follow

MakeBrowser = Callable[[], Browser]


@pytest.fixture
def api(runtime: Runtime, members: Members, client: httpx.AsyncClient) -> Api:
    return Api(runtime, members, client)


@pytest.fixture
def remote(app: Starlette) -> Remote:
    """Other servers, answering the app's fetches (as in tests/unit/activitypub)."""
    servers = Remote()
    app.state.federation.transport = httpx.MockTransport(servers.handler)
    app.state.federation.resolver = public_resolver
    return servers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(app: Starlette) -> PageStore:
    store: PageStore = app.state.page_cache
    return store


async def _signed_in(make: MakeBrowser, members: Members, name: str) -> tuple[Browser, User]:
    user = await members.create(name)
    browser = make()
    assert (await browser.sign_in(name)).status_code == 303
    await browser.get("/home")  # the first page sets the CSRF cookie, so it is not kept
    return browser, user


async def _follow(runtime: Runtime, follower: User, target: User) -> None:
    async with runtime.db.transaction() as session:
        await follow_account(
            session,
            follower=await session.get_one(Account, follower.account_id),
            target=await session.get_one(Account, target.account_id),
        )


async def _post(runtime: Runtime, author: User, text: str) -> int:
    async with runtime.db.transaction() as session:
        account = await session.get_one(Account, author.account_id)
        post = await posts.create_post(session, runtime.ctx, author=account, text=text)
        return post.id


async def _quietly_rewrite(runtime: Runtime, post_id: int, html: str) -> None:
    """Change a post behind the services' back: no event, so only expiry can show it."""
    async with runtime.db.transaction() as session:
        await session.execute(update(Post).where(Post.id == post_id).values(content_html=html))


def _upvotes(page: str, post_id: int) -> str:
    found = re.search(rf'id="upvote-{post_id}".*?<span class="count">(\d*)</span>', page, re.S)
    assert found, "no upvote button"
    return found.group(1) or "0"


async def test_a_page_is_kept_until_it_expires(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    clock = Clock()
    _store(app).clock = clock
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    post_id = await _post(runtime, alice_user, "first words")
    await runtime.worker.drain()
    assert "first words" in (await alice.get("/home")).text
    assert len(_store(app)) == 1
    await _quietly_rewrite(runtime, post_id, "<p>rewritten quietly</p>")
    kept = await alice.get("/home")
    assert kept.status_code == 200
    assert "first words" in kept.text  # served from memory: the quiet change is not seen
    assert kept.headers["cache-control"] == "private, no-store"
    clock.now += _store(app).seconds + 1
    assert "rewritten quietly" in (await alice.get("/home")).text


async def test_the_members_own_changes_show_at_once_from_every_door(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser, api: Api
) -> None:
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    post_id = await _post(runtime, alice_user, "upvote me")
    await runtime.worker.drain()
    assert _upvotes((await alice.get("/home")).text, post_id) == "0"
    # A web form.
    done = await alice.post(f"/posts/{post_id}/upvote", {"next": "/home"}, page="/home")
    assert done.status_code == 303
    assert _upvotes((await alice.get("/home")).text, post_id) == "1"
    # The Mastodon API, with a token of the same member (no event is waited for).
    token = await api.token(alice_user)
    headers = {"Authorization": f"Bearer {token}"}
    undone = await api.client.post(f"/api/v1/statuses/{post_id}/unfavourite", headers=headers)
    assert undone.status_code == 200
    assert _upvotes((await alice.get("/home")).text, post_id) == "0"
    created = await api.client.post(
        "/api/v1/statuses", headers=headers, data={"status": "from an app"}
    )
    assert created.status_code == 200
    assert "from an app" in (await alice.get("/home")).text


async def test_others_changes_reach_the_page_through_their_events(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    bob, carol = await members.create("bob"), await members.create("carol")
    await _follow(runtime, alice_user, bob)
    first = await _post(runtime, bob, "bob first")
    await runtime.worker.drain()
    page = (await alice.get("/home")).text
    assert "bob first" in page
    assert 'class="badge"' not in page

    # A new post in her home.
    await _post(runtime, bob, "bob second")
    await runtime.worker.drain()
    assert "bob second" in (await alice.get("/home")).text
    # Someone else's upvote changes a count she sees.
    async with runtime.db.transaction() as session:
        carol_account = await session.get_one(Account, carol.account_id)
        await interactions.upvote_post(session, actor=carol_account, post_id=first)
    await runtime.worker.drain()
    assert _upvotes((await alice.get("/home")).text, first) == "1"
    # An edit.
    async with runtime.db.transaction() as session:
        bob_account = await session.get_one(Account, bob.account_id)
        await posts.edit_post(
            session, runtime.ctx, editor=bob_account, post_id=first, text="bob edited"
        )
    await runtime.worker.drain()
    assert "bob edited" in (await alice.get("/home")).text
    # A notification: the unread count in the navigation.
    await _follow(runtime, carol, alice_user)
    await runtime.worker.drain()
    assert '<span class="badge">1<' in (await alice.get("/home")).text
    # Reading them (the first notifications page marks them read) clears the count.
    assert (await alice.get("/notifications")).status_code == 200
    assert 'class="badge"' not in (await alice.get("/home")).text
    # bob blocks her: his posts leave her home.
    async with runtime.db.transaction() as session:
        await block_account(
            session,
            actor=await session.get_one(Account, bob.account_id),
            target=await session.get_one(Account, alice_user.account_id),
        )
    await runtime.worker.drain()
    page = (await alice.get("/home")).text
    assert "bob edited" not in page
    assert "bob second" not in page


async def test_a_page_is_never_served_to_another_browser(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, _ = await _signed_in(browser_factory, members, "alice")
    dave, _ = await _signed_in(browser_factory, members, "dave")
    alice_page = (await alice.get("/home")).text
    dave_page = (await dave.get("/home")).text
    assert len(_store(app)) == 2
    assert "@alice" in alice_page
    assert "@dave" not in alice_page
    assert "@dave" in dave_page
    assert "@alice" not in dave_page
    alice_token = alice.client.cookies["parley_csrf"]
    assert alice_token not in dave_page
    # The same session with another CSRF cookie is another browser: never alice's page.
    cookies = {"parley_session": alice.client.cookies["parley_session"], "parley_csrf": "other"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"https://{TEST_DOMAIN}", cookies=cookies
    ) as other:
        page = (await other.get("/home")).text
    assert alice_token not in page
    assert 'value="other"' in page


async def test_signing_out_ends_the_kept_page(
    app: Starlette, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, _ = await _signed_in(browser_factory, members, "alice")
    assert (await alice.get("/home")).status_code == 200
    cookies = dict(alice.client.cookies)
    done = await alice.post("/auth/sign_out", page="/home")
    assert done.status_code == 303
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"https://{TEST_DOMAIN}", cookies=cookies
    ) as stolen:
        again = await stolen.get("/home")
    assert again.status_code in (302, 303)
    assert "/auth/sign_in" in again.headers["location"]


async def test_staff_changes_and_password_resets_drop_every_page(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser, api: Api
) -> None:
    await _signed_in(browser_factory, members, "alice")
    dave, dave_user = await _signed_in(browser_factory, members, "dave")
    await dave.get("/home")
    kept = len(_store(app))
    assert kept >= 1
    # Refused requests change nothing: anyone may send them, and they keep every page.
    bogus = await browser_factory().post(
        "/auth/reset/not-a-token",
        {"password": "x" * 12, "password_confirmation": "x" * 12},
        page="/auth/reset/not-a-token",
    )
    assert bogus.status_code == 422
    stranger = await api.client.post(
        f"/api/v1/admin/accounts/{dave_user.account_id}/action", data={"type": "suspend"}
    )
    assert stranger.status_code in (401, 403)
    assert len(_store(app)) == kept
    # A password reset ends the member's sessions: at once, before the worker's event.
    token = "a-real-reset-token"
    async with runtime.db.transaction() as session:
        session.add(
            PasswordReset(
                user_id=dave_user.id,
                token_hash=digest(token),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    reset = await browser_factory().post(
        f"/auth/reset/{token}",
        {"password": "a new password 1", "password_confirmation": "a new password 1"},
        page=f"/auth/reset/{token}",
    )
    assert reset.status_code == 303
    assert len(_store(app)) == 0
    erin, _ = await _signed_in(browser_factory, members, "erin")
    await erin.get("/home")
    assert len(_store(app)) >= 1
    admin = await members.create("root", role="admin")
    admin_token = await api.token(admin, "admin:read admin:write")
    bob = await members.create("bob")
    acted = await api.client.post(
        f"/api/v1/admin/accounts/{bob.account_id}/action",
        headers={"Authorization": f"Bearer {admin_token}"},
        data={"type": "silence", "text": "Spam in replies"},
    )
    assert acted.status_code == 200, acted.text
    assert len(_store(app)) == 0


async def test_htmx_fragments_and_full_pages_are_kept_apart(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    for n in range(3):
        await _post(runtime, alice_user, f"entry {n}")
    await runtime.worker.drain()
    full = await alice.get("/home")
    fragment = await alice.get("/home", headers={"HX-Request": "true"})
    assert "<html" in full.text
    assert "<html" in fragment.text  # no cursor: htmx gets the whole page
    older = await alice.get("/home?max_id=1" + "0" * 18, headers={"HX-Request": "true"})
    assert "<html" not in older.text
    assert "<html" in (await alice.get("/home")).text


async def test_a_render_overlapping_an_invalidation_is_not_kept() -> None:
    store = PageStore(seconds=30, max_bytes=1000)
    since = store.generation
    store.drop_members([1])  # an event arrives while the page is being rendered
    assert not store.put(b"k", Page(200, [], b"<p>old</p>", 1), since=since)
    assert store.put(b"k", Page(200, [], b"<p>new</p>", 1), since=store.generation)


async def test_an_event_from_another_process_drops_pages_here(
    runtime: Runtime, members: Members
) -> None:
    """With Redis, each web process applies what the others publish (`follow_others`)."""
    hub = MemoryBroker()

    class Shared:  # a broker that is not the in-process one: pages live elsewhere too
        async def publish(self, channel: str, message: bytes) -> None:
            await hub.publish(channel, message)

        async def subscribe(self, channels: Any = ()) -> Any:
            return await hub.subscribe(channels)

    here = PageInvalidation(PageStore(seconds=30, max_bytes=10_000), runtime.db, Shared())  # type: ignore[arg-type]
    there = PageInvalidation(PageStore(seconds=30, max_bytes=10_000), runtime.db, Shared())  # type: ignore[arg-type]
    alice, bob = await members.create("alice"), await members.create("bob")
    await _follow(runtime, alice, bob)
    post_id = await _post(runtime, bob, "seen elsewhere")
    async with runtime.db.transaction() as session:  # fan-out wrote alice's entry
        assert await session.get(FeedEntry, (alice.account_id, post_id)) is not None
    page = Page(200, [], b"<p>home</p>", alice.account_id)
    assert there.store.put(b"alice", page, since=there.store.generation)

    following = asyncio.create_task(there.follow_others())
    await asyncio.sleep(0.05)
    await here.publish({"event": "post.created", "post_id": post_id})
    for _ in range(100):
        if not len(there.store):
            break
        await asyncio.sleep(0.02)
    following.cancel()
    assert len(there.store) == 0


async def test_a_role_change_drops_the_members_pages_and_staff_pages_are_not_kept(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    assert 'href="/moderation"' not in (await alice.get("/home")).text
    assert len(_store(app)) == 1
    async with runtime.db.transaction() as session:  # as `parley admin set-role` does
        user = await session.get_one(User, alice_user.id)
        await accounts.set_role(session, user=user, role="moderator")
    await runtime.worker.drain()
    assert len(_store(app)) == 0
    # A moderator's navigation counts reports and sign-ups that others change: never kept.
    assert 'href="/moderation"' in (await alice.get("/home")).text
    assert len(_store(app)) == 0


async def test_sign_ins_ended_without_a_request_end_the_kept_page(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    """`parley admin reset-password` ends every session from the command line: no request of
    the member's, no staff request; the kept page must not outlive the session."""
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    assert (await alice.get("/home")).status_code == 200
    assert len(_store(app)) == 1
    async with runtime.db.transaction() as session:
        user = await session.get_one(User, alice_user.id)
        await accounts.end_all_sign_ins(session, user=user)
    await runtime.worker.drain()
    again = await alice.get("/home")
    assert again.status_code in (302, 303)
    assert "/auth/sign_in" in again.headers["location"]


async def test_a_deleted_remote_account_leaves_the_kept_page(
    app: Starlette,
    runtime: Runtime,
    members: Members,
    browser_factory: MakeBrowser,
    client: httpx.AsyncClient,
    remote: Remote,
) -> None:
    """A remote actor's Delete hides it and all it wrote (a suspension): at once, not after
    the page's time."""
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    bob = remote.actor("bob")
    assert (await remote.deliver(client, inbox_follow(bob.uri), bob)).status_code == 202
    await runtime.worker.drain()
    async with runtime.db.transaction() as session:
        bob_id = await session.scalar(select(Account.id).where(Account.uri == bob.uri))
        assert bob_id is not None
        session.add(Follow(id=new_id(), account_id=alice_user.account_id, target_id=bob_id))
    note = {
        "id": f"{bob.uri}/statuses/1",
        "type": "Note",
        "attributedTo": bob.uri,
        "content": "<p>remote words</p>",
        "published": "2026-11-24T01:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{bob.uri}/followers"],
    }
    create = {"id": f"{bob.uri}/statuses/1/activity", "type": "Create", "actor": bob.uri,
              "object": note}  # fmt: skip
    assert (await remote.deliver(client, create, bob)).status_code == 202
    await runtime.worker.drain()
    assert "remote words" in (await alice.get("/home")).text
    assert len(_store(app)) == 1
    delete = {"id": f"{bob.uri}#delete", "type": "Delete", "actor": bob.uri, "object": bob.uri}
    assert (await remote.deliver(client, delete, bob)).status_code == 202
    await runtime.worker.drain()
    assert "remote words" not in (await alice.get("/home")).text


def _scope(method: str, path: str = "/posts") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}


async def _nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _around(app: Any, store: PageStore) -> tuple[PageCacheMiddleware, list[dict[str, Any]]]:
    """The middleware around `app`, for member 7's requests, with what it tells the others."""
    told: list[dict[str, Any]] = []

    async def member_of(_scope: Any) -> int:
        return 7

    async def broadcast(message: dict[str, Any]) -> None:
        told.append(message)

    return PageCacheMiddleware(app, store, member_of, broadcast), told


async def test_a_change_that_fails_before_answering_still_drops_the_members_pages() -> None:
    """The app may commit and then fail (or the client may leave) before the answer starts:
    the member's pages go all the same."""
    store = PageStore(seconds=30, max_bytes=10_000)

    async def failing(_scope: Any, _receive: Any, _send: Any) -> None:
        raise RuntimeError("after the commit")

    async def send(_message: Any) -> None:
        raise AssertionError("nothing is sent")

    middleware, told = _around(failing, store)
    assert store.put(b"k", Page(200, [], b"<p>old</p>", 7), since=store.generation)
    with pytest.raises(RuntimeError):
        await middleware(_scope("POST"), _nothing, send)
    assert len(store) == 0
    assert told == [{"members": [7]}]


async def test_a_disabled_cache_tells_nobody() -> None:
    """PARLEY_PAGE_CACHE_SECONDS=0: no page is kept, so no change is published to Redis."""
    store = PageStore(seconds=0, max_bytes=10_000)

    async def answer(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    middleware, told = _around(answer, store)
    await middleware(_scope("POST"), _nothing, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert told == []


async def test_one_member_cannot_push_everyone_elses_pages_out() -> None:
    """Any query string is a new page: one member's many pages replace their own oldest."""
    store = PageStore(seconds=30, max_bytes=1_000_000)
    assert store.put(b"dave", Page(200, [], b"<p>dave</p>", 2), since=store.generation)
    for n in range(MEMBER_PAGES * 3):
        page = Page(200, [], b"x" * 1000, 1)
        assert store.put(f"alice{n}".encode(), page, since=store.generation)
    assert store.get(b"dave") is not None
    assert len(store) == MEMBER_PAGES + 1
    assert store.get(f"alice{MEMBER_PAGES * 3 - 1}".encode()) is not None
    assert store.get(b"alice0") is None


async def test_following_others_outlives_a_broker_failure(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis down (at startup or later): the pages go (changes may be missed) and the
    subscription is tried again; the app keeps running."""
    monkeypatch.setattr(invalidation, "RETRY_SECONDS", 0.01)
    hub = MemoryBroker()
    failures = [RedisConnectionError("Redis is down")]

    class Flaky:
        async def publish(self, channel: str, message: bytes) -> None:
            await hub.publish(channel, message)

        async def subscribe(self, channels: Any = ()) -> Any:
            if failures:
                raise failures.pop()
            return await hub.subscribe(channels)

    pages = PageInvalidation(PageStore(seconds=30, max_bytes=10_000), runtime.db, Flaky())  # type: ignore[arg-type]
    assert pages.store.put(b"k", Page(200, [], b"<p>home</p>", 7), since=pages.store.generation)
    following = asyncio.create_task(pages.follow_others())
    for _ in range(100):
        if hub.hub.subscribers:
            break
        await asyncio.sleep(0.01)
    assert not following.done()
    assert len(pages.store) == 0  # what was missed while down cannot be known
    assert pages.store.put(b"k", Page(200, [], b"<p>home</p>", 7), since=pages.store.generation)
    await hub.publish(invalidation.CHANNEL, b'{"members": [7]}')
    for _ in range(100):
        if not len(pages.store):
            break
        await asyncio.sleep(0.01)
    assert len(pages.store) == 0
    following.cancel()
    with pytest.raises(asyncio.CancelledError):
        await following


async def test_a_member_suspended_from_the_moderation_pages_gets_no_kept_page(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    await _post(runtime, alice_user, "alice writes")
    await runtime.worker.drain()
    assert "alice writes" in (await alice.get("/home")).text
    assert len(_store(app)) == 1
    carol, _ = await _signed_in(browser_factory, members, "carol")
    account = str(alice_user.account_id)
    filed = await carol.post(
        "/report", {"account": account, "category": "other"}, page=f"/report?account={account}"
    )
    assert filed.status_code == 303
    await members.create("mod", role="moderator")
    mod = browser_factory()
    assert (await mod.sign_in("mod")).status_code == 303
    queue = await mod.get("/moderation")
    report_id = re.search(r'href="/moderation/reports/(\d+)"', queue.text)
    assert report_id is not None
    acted = await mod.post(
        f"/moderation/reports/{report_id.group(1)}/action",
        {"kind": "suspend", "reason": "Spam"},
        page="/moderation",
    )
    assert acted.status_code == 303
    again = await alice.get("/home")
    assert again.status_code != 200
    assert "alice writes" not in again.text


async def test_a_no_access_block_refuses_a_kept_page(
    app: Starlette, runtime: Runtime, members: Members
) -> None:
    """The edge refuses a blocked address before the kept pages are looked at."""
    await members.create("alice")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 4000))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as c:
        alice = Browser(c)
        assert (await alice.sign_in("alice")).status_code == 303
        await alice.get("/home")
        assert (await alice.get("/home")).status_code == 200
        assert len(_store(app)) == 1
        admin = await members.create("root", role="admin")
        async with runtime.db.transaction() as session:  # no request: the page stays kept
            actor = await session.get_one(Account, admin.account_id)
            await ip_blocks.block_ip(
                session, actor=actor, ip="198.51.100.0/24", severity="no_access"
            )
        refused = await alice.get("/home")
    assert refused.status_code == 403
    assert len(_store(app)) == 1
    assert "@alice" not in refused.text


async def test_a_removed_follower_stops_seeing_followers_only_posts_at_once(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: MakeBrowser
) -> None:
    alice, alice_user = await _signed_in(browser_factory, members, "alice")
    bob = await members.create("bob")
    await _follow(runtime, alice_user, bob)
    async with runtime.db.transaction() as session:
        author = await session.get_one(Account, bob.account_id)
        await posts.create_post(
            session, runtime.ctx, author=author, text="for my followers", visibility="private"
        )
    await runtime.worker.drain()
    assert "for my followers" in (await alice.get("/home")).text
    assert len(_store(app)) == 1
    async with runtime.db.transaction() as session:
        author = await session.get_one(Account, bob.account_id)
        await remove_follower(session, account=author, follower_id=alice_user.account_id)
    await runtime.worker.drain()
    assert "for my followers" not in (await alice.get("/home")).text
