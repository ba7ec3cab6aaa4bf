"""What a signed-in page reads per request, and that what it keeps between requests (the
instance settings) or skips (filters for a member with none) never shows stale data."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.instance.models import InstanceSetting
from parley.domain.instance.service import VERSION_KEY, update_instance_info
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from parley.web.templating import site_info
from tests.conftest import Members
from tests.integration.web.conftest import Browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Pages as built on each request, not copies kept by parley.web.page_cache."""
    return settings.model_copy(update={"page_cache_seconds": 0})


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


@contextmanager
def checkouts(db: Database) -> Iterator[list[object]]:
    """The connections taken from the pool while the block runs."""
    taken: list[object] = []

    def checkout(*args: object) -> None:
        taken.append(args)

    event.listen(db.engine.sync_engine, "checkout", checkout)
    try:
        yield taken
    finally:
        event.remove(db.engine.sync_engine, "checkout", checkout)


@pytest.mark.parametrize("path", ["/home", "/local", "/tags/cats", "/bookmarks", "/about"])
async def test_a_signed_in_page_reads_through_one_session(
    alice: Browser, runtime: Runtime, path: str
) -> None:
    await alice.post("/posts", {"text": "hello #cats"}, page="/home")
    with checkouts(runtime.db) as taken:
        page = await alice.get(path)
    assert page.status_code == 200
    assert "alice" in page.text  # the navigation knows who is signed in
    assert len(taken) == 1


async def _rename(runtime: Runtime, name: str) -> None:
    async with runtime.db.transaction() as session:
        await update_instance_info(session, name=name)


async def test_a_renamed_instance_shows_on_the_next_page(alice: Browser, runtime: Runtime) -> None:
    assert "· Parley</title>" in (await alice.get("/home")).text
    await _rename(runtime, "Town Square")
    assert "· Town Square</title>" in (await alice.get("/home")).text
    assert "<h1>Town Square</h1>" in (await alice.get("/about")).text


async def _write_row(runtime: Runtime, key: str, value: str) -> None:
    """A change as another process (the CLI, another web worker) makes it: rows only."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(InstanceSetting).where(InstanceSetting.key == key).values(value=value)
        )


async def test_a_change_made_by_another_process_shows_by_its_version(
    alice: Browser, browser_factory: Callable[[], Browser], runtime: Runtime
) -> None:
    await _rename(runtime, "Town Square")
    assert "· Town Square</title>" in (await alice.get("/home")).text
    # The name rewritten without a new version: this process keeps its copy. That is why
    # update_instance_info, the only writer of these settings, always writes a new version.
    await _write_row(runtime, "name", "Elsewhere")
    assert "· Town Square</title>" in (await alice.get("/home")).text
    await _write_row(runtime, VERSION_KEY, "from-another-process")
    assert "· Elsewhere</title>" in (await alice.get("/home")).text
    # A signed-out page reads the version itself.
    await _write_row(runtime, "name", "Third")
    await _write_row(runtime, VERSION_KEY, "once-more")
    assert "<h1>Third</h1>" in (await browser_factory().get("/about")).text


def _web_request(app: Starlette) -> Request:
    web = next(route.app for route in app.routes if isinstance(route, Mount))
    return Request({"type": "http", "app": web, "headers": [], "method": "GET", "path": "/"})


async def test_a_change_made_during_a_request_shows_in_that_request(
    app: Starlette, runtime: Runtime
) -> None:
    request = _web_request(app)
    assert (await site_info(request)).name == "Parley"
    await _rename(runtime, "Renamed mid-request")
    assert (await site_info(request)).name == "Renamed mid-request"
    assert (await site_info(_web_request(app))).name == "Renamed mid-request"


async def test_filters_apply_from_the_first_page_after_the_first_is_made(alice: Browser) -> None:
    await alice.post("/posts", {"text": "my cat naps"}, page="/home")
    assert "my cat naps" in (await alice.get("/home")).text  # no filters: none looked up
    made = await alice.post(
        "/settings/filters",
        {"title": "Cats", "keywords": "cat", "context": "home", "action": "hide"}
        | {"expires_in": ""},
        page="/settings/filters",
    )
    assert made.status_code == 303
    assert "my cat naps" not in (await alice.get("/home")).text
    assert "my cat naps" in (await alice.get("/local")).text  # the filter is for home only


def _badge(html: str) -> str | None:
    match = re.search(r'<span class="badge">(\d+)', html)
    return match.group(1) if match else None


async def test_the_unread_count_read_with_the_viewer_is_the_count(
    alice: Browser, browser_factory: Callable[[], Browser], members: Members, runtime: Runtime
) -> None:
    """Pages that change nothing count unread notifications in the viewer lookup (from the
    second page of a browser session on: the first one learns its account)."""
    await alice.post("/posts", {"text": "notice me"}, page="/home")
    assert _badge((await alice.get("/home")).text) is None
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post))
    assert post is not None
    await members.create("bob")
    bob = browser_factory()
    assert (await bob.sign_in("bob")).status_code == 303
    await bob.post(f"/posts/{post.id}/upvote", {"next": "/home"}, page="/home")
    with checkouts(runtime.db) as taken:
        home = await alice.get("/home")
    assert _badge(home.text) == "1"
    assert len(taken) == 1
    for path in ("/local", "/about", "/bookmarks"):
        assert _badge((await alice.get(path)).text) == "1", path
    again = browser_factory()  # a new browser session: counted on its own the first time
    assert (await again.sign_in("alice")).status_code == 303
    assert _badge((await again.get("/home")).text) == "1"
    assert _badge((await alice.get("/notifications")).text) is None  # viewing marks them read
    assert _badge((await alice.get("/home")).text) is None
    assert _badge((await again.get("/about")).text) is None
