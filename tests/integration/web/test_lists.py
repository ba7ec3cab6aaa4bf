from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from parley.domain.timelines.models import List, ListMember
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def test_create_rename_fill_read_and_delete_a_list(
    alice: Browser, browser_factory: object, members: Members, runtime: Runtime
) -> None:
    await members.create("bob")
    bob: Browser = browser_factory()  # type: ignore[operator]
    await bob.sign_in("bob")
    await bob.post("/posts", {"text": "bob says hi"}, page="/home")
    bob_id = re.search(r'action="/accounts/(\d+)/follow"', (await alice.get("/@bob")).text)
    assert bob_id
    await alice.post(f"/accounts/{bob_id.group(1)}/follow", {"next": "/@bob"}, page="/@bob")

    created = await alice.post("/lists", {"title": "Friends"}, page="/lists")
    assert created.status_code == 303
    edit_url = created.headers["location"]
    list_id = int(edit_url.split("/")[2])
    edit = await alice.get(edit_url)
    assert "People you follow" in edit.text
    assert "@bob" in edit.text
    added = await alice.post(
        f"/lists/{list_id}/members/add", {"account_id": bob_id.group(1)}, page=edit_url
    )
    assert added.status_code == 303
    await bob.post("/posts", {"text": "bob again"}, page="/home")
    stream = await alice.get(f"/lists/{list_id}")
    assert stream.status_code == 200
    assert "bob again" in stream.text

    renamed = await alice.post(
        edit_url, {"title": "Close friends", "replies_policy": "list"}, page=edit_url
    )
    assert renamed.status_code == 303
    assert "Close friends" in (await alice.get("/lists")).text

    await alice.post(
        f"/lists/{list_id}/members/remove", {"account_id": bob_id.group(1)}, page=edit_url
    )
    async with runtime.db.reader() as session:
        assert await session.scalar(select(ListMember.account_id)) is None
    deleted = await alice.post(f"/lists/{list_id}/delete", page=edit_url)
    assert deleted.status_code == 303
    async with runtime.db.reader() as session:
        assert await session.scalar(select(List.id)) is None


async def test_blank_list_title_is_refused(alice: Browser, runtime: Runtime) -> None:
    response = await alice.post("/lists", {"title": "  "}, page="/lists")
    assert response.status_code == 422
    assert "1 to" in response.text
    async with runtime.db.reader() as session:
        assert await session.scalar(select(List.id)) is None


async def test_someone_elses_list_is_not_found(
    alice: Browser, browser_factory: object, members: Members
) -> None:
    created = await alice.post("/lists", {"title": "Mine"}, page="/lists")
    list_id = created.headers["location"].split("/")[2]
    await members.create("mallory")
    mallory: Browser = browser_factory()  # type: ignore[operator]
    await mallory.sign_in("mallory")
    assert (await mallory.get(f"/lists/{list_id}")).status_code == 404
    assert (await mallory.get(f"/lists/{list_id}/edit")).status_code == 404
    assert (await mallory.post(f"/lists/{list_id}/delete", page="/lists")).status_code == 404
    assert "Mine" in (await alice.get("/lists")).text
