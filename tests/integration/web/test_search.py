"""The search page and the sidebar search box."""

from __future__ import annotations

from tests.conftest import Members
from tests.integration.web.conftest import Browser


async def test_search_finds_people_parleys_and_hashtags(
    browser: Browser, browser_factory: object, members: Members
) -> None:
    await members.create("alice")
    await members.create("walrusfan")
    fan: Browser = browser_factory()  # type: ignore[operator]
    assert (await fan.sign_in("walrusfan")).status_code == 303
    await fan.post("/posts", {"text": "the walrus sings #walruses"}, page="/home")
    await fan.post("/posts", {"text": "a walrus secret", "visibility": "private"}, page="/home")
    assert (await browser.sign_in("alice")).status_code == 303
    home = await browser.get("/home")
    assert 'action="/search"' in home.text
    page = await browser.get("/search", params={"q": "walrus"})
    assert page.status_code == 200
    assert "@walrusfan" in page.text
    assert "the walrus sings" in page.text
    assert 'href="/tags/walruses"' in page.text
    assert "a walrus secret" not in page.text


async def test_an_empty_search_shows_only_the_box(browser: Browser, members: Members) -> None:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    page = await browser.get("/search")
    assert page.status_code == 200
    assert 'id="search-main"' in page.text
    assert "people-heading" not in page.text
    odd = await browser.get("/search", params={"q": "%_\\"})
    assert odd.status_code == 200
