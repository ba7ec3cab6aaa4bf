"""Requests for a page that is being rendered wait for that render (parley.web.page_cache)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from parley.domain.timelines import queries
from parley.web.page_cache import PageStore
from tests.conftest import Members
from tests.integration.web.conftest import Browser

MakeBrowser = Callable[[], Browser]


async def test_the_same_browsers_repeated_requests_share_one_render(
    app: Starlette,
    members: Members,
    browser_factory: MakeBrowser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await members.create("alice")
    alice = browser_factory()
    assert (await alice.sign_in("alice")).status_code == 303
    await alice.get("/home")  # sets the CSRF cookie (a page that sets a cookie is not kept)
    store: PageStore = app.state.page_cache
    store.clear()
    renders = 0
    original = queries.home_timeline

    async def slow_home(*args: Any, **kwargs: Any) -> Any:
        nonlocal renders
        renders += 1
        await asyncio.sleep(0.2)  # long enough for the other requests to arrive meanwhile
        return await original(*args, **kwargs)

    monkeypatch.setattr(queries, "home_timeline", slow_home)
    pages = await asyncio.gather(*(alice.get("/home") for _ in range(5)))
    assert [page.status_code for page in pages] == [200] * 5
    assert len({page.text for page in pages}) == 1
    assert renders == 1
    # Another browser of the same member renders its own page.
    other = browser_factory()
    assert (await other.sign_in("alice")).status_code == 303
    await other.get("/home")
    assert renders == 2
