"""The conversations page."""

from __future__ import annotations

from tests.conftest import Members
from tests.integration.web.conftest import Browser


async def test_a_mentioned_only_parley_starts_a_conversation(
    browser: Browser, browser_factory: object, members: Members
) -> None:
    await members.create("alice")
    await members.create("bob")
    assert (await browser.sign_in("alice")).status_code == 303
    await browser.post("/posts", {"text": "@bob secret plan", "visibility": "direct"}, page="/home")
    await browser.post("/posts", {"text": "@bob public hello"}, page="/home")
    bob: Browser = browser_factory()  # type: ignore[operator]
    assert (await bob.sign_in("bob")).status_code == 303
    page = (await bob.get("/conversations")).text
    assert "secret plan" in page
    assert "public hello" not in page
    assert "Unread" in page
    thread = page.split('action="/conversations/')[1].split("/")[0]
    read = await bob.post(f"/conversations/{thread}/read", page="/conversations")
    assert read.status_code == 303
    assert "Unread" not in (await bob.get("/conversations")).text
    await bob.post(f"/conversations/{thread}/remove", page="/conversations")
    assert "No conversations yet" in (await bob.get("/conversations")).text
    carol_tries = await browser.post("/conversations/123/read", page="/conversations")
    assert carol_tries.status_code == 404
