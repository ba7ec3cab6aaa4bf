from __future__ import annotations

import pytest
from sqlalchemy import select

from parley.domain.posts.models import Post
from parley.domain.relationships.models import Block, Follow, Mute
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


async def _ids(runtime: Runtime, username: str) -> int:
    from parley.domain.accounts.queries import get_local_account

    async with runtime.db.reader() as session:
        return (await get_local_account(session, username)).id


async def test_profile_shows_header_counts_and_tabs(alice: Browser) -> None:
    await alice.post("/posts", {"text": "hello from alice"}, page="/home")
    page = await alice.get("/@alice")
    assert page.status_code == 200
    assert "hello from alice" in page.text
    assert "Edit profile" in page.text
    for tab in ("Parleys", "With comments", "Media"):
        assert tab in page.text
    assert (await alice.get("/@alice/with_comments")).status_code == 200
    assert (await alice.get("/@alice/media")).status_code == 200


async def test_unknown_profile_is_not_found(alice: Browser) -> None:
    assert (await alice.get("/@nobody")).status_code == 404
    assert (await alice.get("/@alice/nonsense")).status_code == 404


async def test_follow_then_unfollow_from_the_profile(
    alice: Browser, bob: Browser, runtime: Runtime
) -> None:
    alice_id = await _ids(runtime, "alice")
    page = await bob.get("/@alice")
    assert f'action="/accounts/{alice_id}/follow"' in page.text
    followed = await bob.post(f"/accounts/{alice_id}/follow", {"next": "/@alice"}, page="/@alice")
    assert followed.status_code == 303
    assert followed.headers["location"] == "/@alice"
    assert "Unfollow" in (await bob.get("/@alice")).text
    async with runtime.db.reader() as session:
        assert await session.scalar(select(Follow.id).where(Follow.target_id == alice_id))
    await bob.post(f"/accounts/{alice_id}/unfollow", {"next": "/@alice"}, page="/@alice")
    async with runtime.db.reader() as session:
        assert not await session.scalar(select(Follow.id).where(Follow.target_id == alice_id))


async def test_follow_with_htmx_returns_only_the_button(
    alice: Browser, bob: Browser, runtime: Runtime
) -> None:
    alice_id = await _ids(runtime, "alice")
    response = await bob.post(
        f"/accounts/{alice_id}/follow",
        {"next": "/@alice"},
        page="/@alice",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="follow-controls"')
    assert "Unfollow" in response.text
    assert "<html" not in response.text


async def test_mute_and_block_from_the_profile_menu(
    alice: Browser, bob: Browser, runtime: Runtime
) -> None:
    alice_id = await _ids(runtime, "alice")
    await bob.post(f"/accounts/{alice_id}/mute", {"next": "/@alice"}, page="/@alice")
    await bob.post(f"/accounts/{alice_id}/block", {"next": "/@alice"}, page="/@alice")
    async with runtime.db.reader() as session:
        assert await session.scalar(select(Mute.id).where(Mute.target_id == alice_id))
        assert await session.scalar(select(Block.id).where(Block.target_id == alice_id))
    page = await bob.get("/@alice")
    assert f'action="/accounts/{alice_id}/unblock"' in page.text


async def test_relationship_actions_need_the_csrf_token(
    alice: Browser, bob: Browser, runtime: Runtime
) -> None:
    alice_id = await _ids(runtime, "alice")
    response = await bob.post(f"/accounts/{alice_id}/follow", csrf=False)
    assert response.status_code == 403
    async with runtime.db.reader() as session:
        assert not await session.scalar(select(Follow.id).where(Follow.target_id == alice_id))


async def test_locked_account_gets_requests_to_accept(
    alice: Browser, bob: Browser, runtime: Runtime
) -> None:
    await alice.post(
        "/settings/profile", {"locked": "1", "discoverable": "1"}, page="/settings/profile"
    )
    alice_id = await _ids(runtime, "alice")
    bob_id = await _ids(runtime, "bob")
    assert "Request to follow" in (await bob.get("/@alice")).text
    await bob.post(f"/accounts/{alice_id}/follow", {"next": "/@alice"}, page="/@alice")
    assert "Requested" in (await bob.get("/@alice")).text
    requests = await alice.get("/follow_requests")
    assert "@bob" in requests.text
    accepted = await alice.post(f"/follow_requests/{bob_id}/accept", page="/follow_requests")
    assert accepted.status_code == 303
    assert "Unfollow" in (await bob.get("/@alice")).text


async def test_followers_only_post_is_hidden_from_strangers_and_anonymous(
    alice: Browser, bob: Browser, browser_factory: object, runtime: Runtime
) -> None:
    await alice.post(
        "/posts", {"text": "only for my followers", "visibility": "private"}, page="/home"
    )
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post))
    assert post is not None
    assert "only for my followers" in (await alice.get("/@alice")).text
    anonymous: Browser = browser_factory()  # type: ignore[operator]
    for who in (bob, anonymous):
        assert "only for my followers" not in (await who.get("/@alice")).text
        assert (await who.get(f"/@alice/{post.id}")).status_code == 404
    alice_id = await _ids(runtime, "alice")
    await bob.post(f"/accounts/{alice_id}/follow", {"next": "/@alice"}, page="/@alice")
    assert "only for my followers" in (await bob.get("/@alice")).text
    assert (await bob.get(f"/@alice/{post.id}")).status_code == 200


async def test_followers_and_following_pages(
    alice: Browser, bob: Browser, runtime: Runtime
) -> None:
    alice_id = await _ids(runtime, "alice")
    await bob.post(f"/accounts/{alice_id}/follow", {"next": "/@alice"}, page="/@alice")
    followers = await alice.get("/@alice/followers")
    assert followers.status_code == 200
    assert "@bob" in followers.text
    following = await alice.get("/@bob/following")
    assert "@alice" in following.text


async def test_anonymous_profile_offers_sign_in_to_follow(
    alice: Browser, browser_factory: object
) -> None:
    anonymous: Browser = browser_factory()  # type: ignore[operator]
    page = await anonymous.get("/@alice")
    assert page.status_code == 200
    assert "/auth/sign_in?next=" in page.text
