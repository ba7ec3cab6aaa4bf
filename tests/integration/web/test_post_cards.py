"""Stream cards come from a cache (parley.web.post_cards): it must never show one member's
flags or token to another, and a change must show on the very next request."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from parley.domain.accounts.models import Account, User
from parley.domain.interactions import service as interactions
from parley.domain.posts import service as posts
from parley.domain.posts.echoes import echo_post
from parley.domain.posts.polls import PollSpec
from parley.domain.relationships.service import follow_account
from parley.runtime import Runtime
from parley.web.post_cards import PostCards
from tests.conftest import Members
from tests.integration.web.conftest import Browser

MakeBrowser = Callable[[], Browser]


def _cards(browser: Browser) -> PostCards:
    """The app's card cache (the web app is mounted at the root of the whole app)."""
    transport = browser.client._transport
    app = transport.app  # type: ignore[attr-defined]
    for route in app.routes:
        state = getattr(getattr(route, "app", None), "state", None)
        if state is not None and hasattr(state, "jinja"):
            cards: PostCards = state.jinja.globals["post_cards"]
            return cards
    raise AssertionError("no web app")


async def _follow(runtime: Runtime, follower: User, target: User) -> None:
    async with runtime.db.transaction() as session:
        await follow_account(
            session,
            follower=await session.get_one(Account, follower.account_id),
            target=await session.get_one(Account, target.account_id),
        )


async def _post(runtime: Runtime, author: User, text: str, **kwargs: object) -> int:
    async with runtime.db.transaction() as session:
        account = await session.get_one(Account, author.account_id)
        post = await posts.create_post(session, runtime.ctx, author=account, text=text, **kwargs)  # type: ignore[arg-type]
        return post.id


async def _signed_in(make: MakeBrowser, name: str) -> Browser:
    browser = make()
    assert (await browser.sign_in(name)).status_code == 303
    return browser


def _card(page: str, post_id: int) -> str:
    """The HTML of one stream card (the article whose entry id is the post's)."""
    match = re.search(rf'<article class="post[^"]*" id="post-{post_id}".*?</article>', page, re.S)
    assert match, f"no card for {post_id}"
    return match.group(0)


def _upvotes(card: str, post_id: int) -> str:
    count = re.search(rf'id="upvote-{post_id}".*?<span class="count">(\d*)</span>', card, re.S)
    assert count is not None
    return count.group(1)


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


@pytest.fixture
async def world(
    members: Members, runtime: Runtime, browser_factory: MakeBrowser
) -> dict[str, object]:
    """alice posts (plain, with a content warning, a poll, tags and a mention, followers-only,
    a quote); bob, carol and dave follow her; carol echoes one, bob upvotes and bookmarks one."""
    alice, bob, carol, dave = [await members.create(n) for n in ("alice", "bob", "carol", "dave")]
    for follower in (bob, carol, dave):
        await _follow(runtime, follower, alice)
    plain = await _post(runtime, alice, "plain words with a https://example.org link")
    await _post(runtime, alice, "behind a warning", spoiler_text="spoilers")
    await _post(runtime, alice, "vote", poll=PollSpec(options=["yes", "no"], expires_in=3600))
    await _post(runtime, alice, "hello @bob about #Parley")
    await _post(runtime, alice, "friends only", visibility="private")
    await _post(runtime, alice, "quoting myself", quote_of_id=plain)
    async with runtime.db.transaction() as session:
        await echo_post(
            session,
            runtime.ctx,
            actor=await session.get_one(Account, carol.account_id),
            post_id=plain,
        )
        await interactions.upvote_post(
            session, actor=await session.get_one(Account, bob.account_id), post_id=plain
        )
        await interactions.bookmark_post(
            session, actor=await session.get_one(Account, bob.account_id), post_id=plain
        )
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "plain": plain}


@pytest.mark.parametrize("path", ["/home", "/local", "/home?max_id=9223372036854775807"])
async def test_cached_pages_are_byte_for_byte_what_rendering_gives(
    world: dict[str, object], browser_factory: MakeBrowser, path: str
) -> None:
    for name in ("alice", "bob", "carol", "dave"):
        browser = await _signed_in(browser_factory, name)
        cards = _cards(browser)
        cards.enabled = False
        fresh = (await browser.get(path)).text
        cards.enabled = True
        cards.clear()
        first = (await browser.get(path)).text  # rendered into the cache
        misses = cards.misses
        again = (await browser.get(path)).text  # served from it
        assert cards.misses == misses, "the second page should be all hits"
        assert "<article" in fresh
        assert first == fresh, name
        assert again == fresh, name
    visitor = browser_factory()
    cards.enabled = False
    fresh = (await visitor.get("/local")).text
    cards.enabled = True
    assert (await visitor.get("/local")).text == fresh


async def test_one_members_flags_and_token_never_reach_another(
    world: dict[str, object], browser_factory: MakeBrowser
) -> None:
    plain = world["plain"]
    assert isinstance(plain, int)
    bob = await _signed_in(browser_factory, "bob")
    dave = await _signed_in(browser_factory, "dave")
    bob_page = (await bob.get("/home")).text  # bob's card (upvoted, bookmarked) is cached
    dave_page = (await dave.get("/home")).text
    bob_card, dave_card = _card(bob_page, plain), _card(dave_page, plain)
    assert f'id="upvote-{plain}" aria-pressed="true"' in bob_card
    assert f'id="bookmark-{plain}" aria-pressed="true"' in bob_card
    assert f'id="upvote-{plain}" aria-pressed="false"' in dave_card
    assert f'id="bookmark-{plain}" aria-pressed="false"' in dave_card
    bob_token, dave_token = _tokens(bob_page), _tokens(dave_page)
    assert len(bob_token) == len(dave_token) == 1
    assert bob_token != dave_token
    # A visitor sees the same parley with no forms at all, hence no token.
    visitor = browser_factory()
    public = (await visitor.get("/local")).text
    assert not _tokens(_card(public, plain))
    # The author's own card has edit and delete; a follower's never does.
    alice = await _signed_in(browser_factory, "alice")
    assert "/edit" in _card((await alice.get("/home")).text, plain)
    assert f"{plain}/edit" not in _card((await dave.get("/home")).text, plain)


async def test_an_edit_a_count_and_a_delete_show_on_the_next_request(
    world: dict[str, object], runtime: Runtime, browser_factory: MakeBrowser
) -> None:
    plain, alice, carol = world["plain"], world["alice"], world["carol"]
    assert isinstance(plain, int)
    assert isinstance(alice, User)
    assert isinstance(carol, User)
    dave = await _signed_in(browser_factory, "dave")
    card = _card((await dave.get("/home")).text, plain)
    assert "plain words" in card
    async with runtime.db.transaction() as session:
        await posts.edit_post(
            session,
            runtime.ctx,
            editor=await session.get_one(Account, alice.account_id),
            post_id=plain,
            text="edited words",
        )
    # Others' changes reach kept pages through their events (parley.web.page_cache).
    await runtime.worker.drain()
    card = _card((await dave.get("/home")).text, plain)
    assert "edited words" in card
    assert "plain words" not in card
    assert f'id="upvote-{plain}" aria-pressed="false"><svg' in card
    assert _upvotes(card, plain) == "1"
    async with runtime.db.transaction() as session:
        await interactions.upvote_post(
            session, actor=await session.get_one(Account, carol.account_id), post_id=plain
        )
    await runtime.worker.drain()
    card = _card((await dave.get("/home")).text, plain)
    assert _upvotes(card, plain) == "2"
    # dave's own upvote, through the form, flips his card (and the count) on the next page.
    done = await dave.post(f"/posts/{plain}/upvote", {"next": "/home"}, page="/home")
    assert done.status_code == 303
    card = _card((await dave.get("/home")).text, plain)
    assert f'id="upvote-{plain}" aria-pressed="true"' in card
    assert _upvotes(card, plain) == "3"
    async with runtime.db.transaction() as session:
        await posts.delete_post(
            session, actor=await session.get_one(Account, alice.account_id), post_id=plain
        )
    await runtime.worker.drain()
    page = (await dave.get("/home")).text
    assert f'id="post-{plain}"' not in page
    assert "edited words" not in page
