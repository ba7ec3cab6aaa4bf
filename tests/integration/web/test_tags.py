"""Following a hashtag from its page."""

from __future__ import annotations

from tests.conftest import Members
from tests.integration.web.conftest import Browser


async def test_follow_a_tag_from_its_page_and_unfollow_it(
    browser: Browser, members: Members
) -> None:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    page = await browser.get("/tags/Cats")
    assert "Follow #cats" in page.text
    followed = await browser.post("/tags/Cats/follow", page="/tags/cats")
    assert followed.status_code == 303
    assert followed.headers["location"] == "/tags/cats"
    assert "Unfollow #cats" in (await browser.get("/tags/cats")).text
    swapped = await browser.post(
        "/tags/cats/unfollow", page="/tags/cats", headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    assert "Follow #cats" in swapped.text
    assert "Unfollow" not in swapped.text


async def test_a_post_with_a_followed_tag_reaches_home(
    browser: Browser, browser_factory: object, members: Members
) -> None:
    await members.create("alice")
    await members.create("bob")
    assert (await browser.sign_in("alice")).status_code == 303
    await browser.post("/tags/cats/follow", page="/tags/cats")
    bob: Browser = browser_factory()  # type: ignore[operator]
    assert (await bob.sign_in("bob")).status_code == 303
    await bob.post("/posts", {"text": "a stranger says meow #cats"}, page="/home")
    assert "a stranger says meow" in (await browser.get("/home")).text


async def test_signed_out_visitors_are_asked_to_sign_in(browser: Browser) -> None:
    page = await browser.get("/tags/cats")
    assert "/auth/sign_in?next=" in page.text
    refused = await browser.post("/tags/cats/follow", page="/tags/cats")
    assert refused.status_code in (303, 401, 403)
    bad = await browser.get("/tags/a-b")
    assert "tag-follow" not in bad.text
