"""The filters settings page, and filters applied to the web streams."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parley.domain.filters.models import Filter, FilterKeyword
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def _filters(runtime: Runtime) -> list[Filter]:
    async with runtime.db.reader() as session:
        return list(await session.scalars(select(Filter)))


async def test_create_edit_and_delete_a_filter(alice: Browser, runtime: Runtime) -> None:
    page = await alice.get("/settings/filters")
    assert "No filters yet." in page.text
    created = await alice.post(
        "/settings/filters",
        {
            "title": "Cats",
            "keywords": "cat\nkitten\n",
            "whole_word": "1",
            "context": ["home", "public"],
            "action": "warn",
            "expires_in": "",
        },
        page="/settings/filters",
    )
    assert created.status_code == 303
    (f,) = await _filters(runtime)
    assert (f.title, f.context, f.action, f.expires_at) == (
        "Cats",
        ["home", "public"],
        "warn",
        None,
    )
    edited = await alice.post(
        f"/settings/filters/{f.id}",
        {
            "title": "Felines",
            "keywords": "kitten\nlion",
            "context": "home",
            "action": "hide",
            "expires_in": "keep",
        },
        page=f"/settings/filters/{f.id}",
    )
    assert edited.status_code == 303
    async with runtime.db.reader() as session:
        words = sorted(await session.scalars(select(FilterKeyword.keyword)))
    assert words == ["kitten", "lion"]
    listing = await alice.get("/settings/filters")
    assert "Felines" in listing.text
    deleted = await alice.post(f"/settings/filters/{f.id}/delete", page="/settings/filters")
    assert deleted.status_code == 303
    assert await _filters(runtime) == []


async def test_a_refused_filter_shows_the_form_again_and_saves_nothing(
    alice: Browser, runtime: Runtime
) -> None:
    refused = await alice.post(
        "/settings/filters",
        {"title": "Cats", "keywords": "cat", "action": "warn", "expires_in": ""},
        page="/settings/filters",
    )
    assert refused.status_code == 422
    assert "Context can" in refused.text
    assert 'value="Cats"' in refused.text
    assert await _filters(runtime) == []
    bad = await alice.post(
        "/settings/filters",
        {"title": "Cats", "context": "home", "expires_in": "forever"},
        page="/settings/filters",
    )
    assert bad.status_code == 422


async def test_someone_elses_filter_is_not_found(
    alice: Browser, browser_factory: object, members: Members, runtime: Runtime
) -> None:
    await alice.post(
        "/settings/filters",
        {"title": "Cats", "context": "home", "action": "warn", "expires_in": ""},
        page="/settings/filters",
    )
    (f,) = await _filters(runtime)
    await members.create("bob")
    bob: Browser = browser_factory()  # type: ignore[operator]
    assert (await bob.sign_in("bob")).status_code == 303
    assert (await bob.get(f"/settings/filters/{f.id}")).status_code == 404
    deleted = await bob.post(f"/settings/filters/{f.id}/delete", page="/settings/filters")
    assert deleted.status_code == 404
    assert len(await _filters(runtime)) == 1


async def test_warn_collapses_and_hide_leaves_out_in_home(alice: Browser) -> None:
    await alice.post("/posts", {"text": "my cat naps"}, page="/home")
    await alice.post("/posts", {"text": "my dog barks"}, page="/home")
    await alice.post("/posts", {"text": "the weather"}, page="/home")
    for title, word, action in (("Cats", "cat", "warn"), ("Dogs", "dog", "hide")):
        await alice.post(
            "/settings/filters",
            {
                "title": title,
                "keywords": word,
                "context": "home",
                "action": action,
                "expires_in": "",
            },
            page="/settings/filters",
        )
    home = (await alice.get("/home")).text
    assert "Filtered: Cats" in home
    assert "my cat naps" in home  # still there, collapsed
    assert "my dog barks" not in home
    assert "the weather" in home
    local = (await alice.get("/local")).text
    assert "my dog barks" in local
    assert "Filtered:" not in local


async def test_profiles_apply_account_filters(alice: Browser) -> None:
    await alice.post("/posts", {"text": "my dog barks"}, page="/home")
    await alice.post(
        "/settings/filters",
        {
            "title": "Dogs",
            "keywords": "dog",
            "context": "account",
            "action": "hide",
            "expires_in": "",
        },
        page="/settings/filters",
    )
    assert "my dog barks" not in (await alice.get("/@alice")).text
    assert "my dog barks" in (await alice.get("/home")).text


async def test_thread_filters_apply_to_comments_not_to_the_parley_asked_for(
    alice: Browser, runtime: Runtime
) -> None:
    await alice.post("/posts", {"text": "root about dogs"}, page="/home")
    async with runtime.db.reader() as session:
        root = await session.scalar(select(Post))
    assert root is not None
    for text in ("a dog comment", "a cat comment"):
        await alice.post("/posts", {"text": text, "in_reply_to_id": str(root.id)}, page="/home")
    for title, word, action in (("Dogs", "dog", "hide"), ("Cats", "cat", "warn")):
        await alice.post(
            "/settings/filters",
            {
                "title": title,
                "keywords": word,
                "context": "thread",
                "action": action,
                "expires_in": "",
            },
            page="/settings/filters",
        )
    page = (await alice.get(f"/@alice/{root.id}")).text
    assert "root about dogs" in page
    assert "a dog comment" not in page
    assert "Filtered: Cats" in page
    assert "a cat comment" in page


async def test_notifications_leave_out_hidden_parleys(
    alice: Browser, browser_factory: object, members: Members
) -> None:
    await alice.post(
        "/settings/filters",
        {
            "title": "Dogs",
            "keywords": "dog",
            "context": "notifications",
            "action": "hide",
            "expires_in": "",
        },
        page="/settings/filters",
    )
    await members.create("bob")
    bob: Browser = browser_factory()  # type: ignore[operator]
    assert (await bob.sign_in("bob")).status_code == 303
    await bob.post("/posts", {"text": "@alice my dog"}, page="/home")
    await bob.post("/posts", {"text": "@alice my cat"}, page="/home")
    page = (await alice.get("/notifications")).text
    assert "my cat" in page
    assert "my dog" not in page
