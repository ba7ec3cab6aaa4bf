from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parley.domain.interactions.models import Bookmark, Pin, Upvote
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


@pytest.fixture
async def bob(browser_factory: object, members: Members) -> Browser:
    await members.create("bob")
    other: Browser = browser_factory()  # type: ignore[operator]
    assert (await other.sign_in("bob")).status_code == 303
    return other


@pytest.fixture
async def post_id(alice: Browser, runtime: Runtime) -> int:
    await alice.post("/posts", {"text": "upvote me"}, page="/home")
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post))
    assert post is not None
    return post.id


async def _count(runtime: Runtime, table: type) -> int:
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_upvote_and_take_it_back_without_javascript(
    bob: Browser, post_id: int, runtime: Runtime
) -> None:
    url = f"/@alice/{post_id}"
    done = await bob.post(
        f"/posts/{post_id}/upvote", {"next": url, "entry": str(post_id)}, page=url
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{url}#post-{post_id}"
    assert await _count(runtime, Upvote) == 1
    page = await bob.get(url)
    assert 'aria-pressed="true"' in page.text
    await bob.post(f"/posts/{post_id}/unupvote", {"next": url}, page=url)
    assert await _count(runtime, Upvote) == 0


async def test_upvote_with_htmx_swaps_only_the_action_bar(
    bob: Browser, post_id: int, runtime: Runtime
) -> None:
    url = f"/@alice/{post_id}"
    response = await bob.post(
        f"/posts/{post_id}/upvote",
        {"next": url, "entry": str(post_id)},
        page=url,
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="post-actions"')
    assert f'id="upvote-{post_id}"' in response.text
    assert 'aria-pressed="true"' in response.text
    assert '<span class="count">1</span>' in response.text


async def test_echo_puts_the_parley_in_followers_homes(
    bob: Browser, post_id: int, runtime: Runtime, members: Members, browser_factory: object
) -> None:
    url = f"/@alice/{post_id}"
    await members.create("carol")
    carol: Browser = browser_factory()  # type: ignore[operator]
    await carol.sign_in("carol")
    bob_page = await carol.get("/@bob")
    import re

    bob_id = re.search(r'action="/accounts/(\d+)/follow"', bob_page.text)
    assert bob_id
    await carol.post(f"/accounts/{bob_id.group(1)}/follow", {"next": "/@bob"}, page="/@bob")
    echoed = await bob.post(f"/posts/{post_id}/echo", {"next": url}, page=url)
    assert echoed.status_code == 303
    home = await carol.get("/home")
    assert "upvote me" in home.text
    assert "echoed" in home.text
    await bob.post(f"/posts/{post_id}/unecho", {"next": url}, page=url)
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Post)) == 1


async def test_bookmarks_page_lists_bookmarked_parleys(bob: Browser, post_id: int) -> None:
    url = f"/@alice/{post_id}"
    await bob.post(f"/posts/{post_id}/bookmark", {"next": url}, page=url)
    page = await bob.get("/bookmarks")
    assert "upvote me" in page.text
    await bob.post(f"/posts/{post_id}/unbookmark", {"next": url}, page=url)
    assert "upvote me" not in (await bob.get("/bookmarks")).text


async def test_upvoted_page_lists_upvoted_parleys(bob: Browser, post_id: int) -> None:
    await bob.post(f"/posts/{post_id}/upvote", {"next": "/home"}, page="/home")
    assert "upvote me" in (await bob.get("/upvoted")).text


async def test_pin_own_parley_shows_it_first_on_the_profile(
    alice: Browser, post_id: int, runtime: Runtime
) -> None:
    await alice.post("/posts", {"text": "a later parley"}, page="/home")
    await alice.post(f"/posts/{post_id}/pin", {"next": "/@alice"}, page="/@alice")
    assert await _count(runtime, Pin) == 1
    page = await alice.get("/@alice")
    assert (
        page.text.index("Pinned") < page.text.index("upvote me") < page.text.index("a later parley")
    )


async def test_pinning_someone_elses_parley_changes_nothing(
    bob: Browser, post_id: int, runtime: Runtime
) -> None:
    response = await bob.post(f"/posts/{post_id}/pin", {"next": "/home"}, page="/home")
    assert response.status_code in (403, 422)
    assert await _count(runtime, Pin) == 0


async def test_actions_need_a_csrf_token(bob: Browser, post_id: int, runtime: Runtime) -> None:
    for action in ("upvote", "echo", "bookmark"):
        response = await bob.post(f"/posts/{post_id}/{action}", csrf=False)
        assert response.status_code == 403
    assert await _count(runtime, Upvote) == 0
    assert await _count(runtime, Bookmark) == 0
    assert await _count(runtime, Post) == 1


async def test_actions_on_unknown_posts_are_not_found(bob: Browser) -> None:
    response = await bob.post("/posts/999999999/upvote", page="/home")
    assert response.status_code == 404
    assert (await bob.post("/posts/1/frobnicate", page="/home")).status_code == 404


async def test_quote_composer_shows_the_quoted_parley(bob: Browser, post_id: int) -> None:
    page = await bob.get(f"/@alice/{post_id}/quote")
    assert page.status_code == 200
    assert "upvote me" in page.text
    assert f'name="quote_of_id" value="{post_id}"' in page.text
    done = await bob.post(
        "/posts", {"text": "so true", "quote_of_id": str(post_id), "next": "/home"}, page="/home"
    )
    assert done.status_code == 303
    home = await bob.get("/home")
    assert "so true" in home.text
    assert 'class="quote-card"' in home.text
