from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def _signed_in(browser_factory: object, members: Members, name: str) -> Browser:
    await members.create(name)
    other: Browser = browser_factory()  # type: ignore[operator]
    assert (await other.sign_in(name)).status_code == 303
    return other


def _badge(html: str) -> str | None:
    match = re.search(r'<span class="badge">(\d+)', html)
    return match.group(1) if match else None


async def test_upvotes_are_grouped_badged_and_marked_read_on_view(
    alice: Browser, browser_factory: object, members: Members, runtime: Runtime
) -> None:
    await alice.post("/posts", {"text": "notice me"}, page="/home")
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post))
    assert post is not None
    for name in ("bob", "carol", "dave"):
        other = await _signed_in(browser_factory, members, name)
        await other.post(f"/posts/{post.id}/upvote", {"next": "/home"}, page="/home")
    home = await alice.get("/home")
    assert _badge(home.text) == "3"
    page = await alice.get("/notifications")
    assert page.status_code == 200
    assert page.text.count('class="notification unread"') == 1
    assert "and 1 other" in page.text
    assert "upvoted your parley" in page.text
    assert _badge(page.text) is None  # viewing marked them read
    again = await alice.get("/notifications")
    assert 'class="notification unread"' not in again.text


async def test_comments_show_the_comment_itself(
    alice: Browser, browser_factory: object, members: Members, runtime: Runtime
) -> None:
    await alice.post("/posts", {"text": "ask me anything"}, page="/home")
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post))
    assert post is not None
    bob = await _signed_in(browser_factory, members, "bob")
    await bob.post("/posts", {"text": "what is love", "in_reply_to_id": str(post.id)}, page="/home")
    page = await alice.get("/notifications")
    assert "commented on your parley" in page.text
    assert "what is love" in page.text


async def test_notifications_need_sign_in(browser: Browser) -> None:
    response = await browser.get("/notifications")
    assert response.status_code == 303
