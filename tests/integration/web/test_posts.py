from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


async def _posts(runtime: Runtime) -> list[Post]:
    async with runtime.db.reader() as session:
        return list(await session.scalars(select(Post).order_by(Post.id)))


async def _count(runtime: Runtime) -> int:
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def test_home_has_a_labelled_composer_with_the_instance_limit(alice: Browser) -> None:
    page = await alice.get("/home")
    assert page.status_code == 200
    assert 'data-max="1000"' in page.text
    assert '<label for="compose-text"' in page.text
    assert 'name="spoiler_text"' in page.text
    assert 'name="visibility"' in page.text
    assert 'name="poll_option"' in page.text


async def test_posting_from_home_shows_the_parley_in_home_and_on_its_page(
    alice: Browser, runtime: Runtime
) -> None:
    response = await alice.post(
        "/posts", {"text": "Hello #parley world", "next": "/home"}, page="/home"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    (post,) = await _posts(runtime)
    home = await alice.get("/home")
    assert "Hello" in home.text
    assert f'id="post-{post.id}"' in home.text
    detail = await alice.get(f"/@alice/{post.id}")
    assert detail.status_code == 200
    assert 'href="https://parley.test/tags/parley"' in detail.text


async def test_empty_post_is_refused_with_the_message(alice: Browser, runtime: Runtime) -> None:
    response = await alice.post("/posts", {"text": "   ", "next": "/home"}, page="/home")
    assert response.status_code == 422
    assert "Text can&#39;t be blank" in response.text or "Text can't be blank" in response.text
    assert await _count(runtime) == 0


async def test_over_long_post_keeps_the_text_and_changes_nothing(
    alice: Browser, runtime: Runtime
) -> None:
    text = "x" * 1001
    response = await alice.post("/posts", {"text": text}, page="/home")
    assert response.status_code == 422
    assert "character limit of 1000" in response.text
    assert text in response.text
    assert await _count(runtime) == 0


async def test_posting_needs_a_valid_csrf_token(alice: Browser, runtime: Runtime) -> None:
    missing = await alice.post("/posts", {"text": "hi"}, csrf=False)
    wrong = await alice.post("/posts", {"text": "hi", "csrf_token": "nope"})
    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert await _count(runtime) == 0


async def test_content_warning_hides_the_text_in_details(alice: Browser, runtime: Runtime) -> None:
    await alice.post(
        "/posts", {"text": "the butler did it", "spoiler_text": "film spoilers"}, page="/home"
    )
    home = await alice.get("/home")
    assert re.search(r'<details class="cw">\s*<summary>.*film spoilers', home.text, re.S)


async def test_a_poll_can_be_voted_on_once_and_then_shows_results(
    alice: Browser, browser_factory: object, members: Members, runtime: Runtime
) -> None:
    response = await alice.post(
        "/posts",
        {
            "text": "Tea or coffee?",
            "poll_option": ["Tea", "Coffee", "", ""],
            "poll_expires_in": "3600",
        },
        page="/home",
    )
    assert response.status_code == 303
    (post,) = await _posts(runtime)
    assert post.has_poll
    await members.create("bob")
    bob = browser_factory()  # type: ignore[operator]
    await bob.sign_in("bob")
    page = await bob.get(f"/@alice/{post.id}")
    poll_id = re.search(r'action="/polls/(\d+)/votes"', page.text)
    assert poll_id
    voted = await bob.post(
        f"/polls/{poll_id.group(1)}/votes",
        {"choices": "1", "next": f"/@alice/{post.id}"},
        page=f"/@alice/{post.id}",
    )
    assert voted.status_code == 303
    after = await bob.get(f"/@alice/{post.id}")
    assert "100%" in after.text
    assert "/votes" not in after.text
    again = await bob.post(
        f"/polls/{poll_id.group(1)}/votes", {"choices": "0"}, page=f"/@alice/{post.id}"
    )
    assert again.status_code == 422


async def test_comment_appears_in_the_thread(alice: Browser, runtime: Runtime) -> None:
    await alice.post("/posts", {"text": "First"}, page="/home")
    (root,) = await _posts(runtime)
    response = await alice.post(
        "/posts",
        {"text": "A comment", "in_reply_to_id": str(root.id), "next": f"/@alice/{root.id}"},
        page=f"/@alice/{root.id}",
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/@alice/{root.id}#post-")
    thread = await alice.get(f"/@alice/{root.id}")
    assert "A comment" in thread.text
    assert "--depth:1" in thread.text


async def test_edit_own_post_and_see_history(alice: Browser, runtime: Runtime) -> None:
    await alice.post("/posts", {"text": "Frist"}, page="/home")
    (post,) = await _posts(runtime)
    form = await alice.get(f"/@alice/{post.id}/edit")
    assert form.status_code == 200
    done = await alice.post(
        f"/@alice/{post.id}/edit", {"text": "First"}, page=f"/@alice/{post.id}/edit"
    )
    assert done.status_code == 303
    history = await alice.get(f"/@alice/{post.id}/history")
    assert history.status_code == 200
    assert "Frist" in history.text
    assert "First" in history.text


async def test_editing_someone_elses_post_is_forbidden(
    alice: Browser, browser_factory: object, members: Members, runtime: Runtime
) -> None:
    await alice.post("/posts", {"text": "mine"}, page="/home")
    (post,) = await _posts(runtime)
    await members.create("mallory")
    mallory = browser_factory()  # type: ignore[operator]
    await mallory.sign_in("mallory")
    assert (await mallory.get(f"/@alice/{post.id}/edit")).status_code == 403
    response = await mallory.post(f"/@alice/{post.id}/edit", {"text": "pwned"}, page="/home")
    assert response.status_code == 403
    assert (await mallory.post(f"/@alice/{post.id}/delete", page="/home")).status_code == 403
    (after,) = await _posts(runtime)
    assert after.text == "mine"


async def test_delete_asks_then_deletes(alice: Browser, runtime: Runtime) -> None:
    await alice.post("/posts", {"text": "oops"}, page="/home")
    (post,) = await _posts(runtime)
    confirm = await alice.get(f"/@alice/{post.id}/delete")
    assert confirm.status_code == 200
    assert "Delete parley?" in confirm.text
    done = await alice.post(f"/@alice/{post.id}/delete", page="/home")
    assert done.status_code == 303
    assert await _count(runtime) == 0


async def test_unknown_post_and_wrong_author_are_not_found(
    alice: Browser, runtime: Runtime
) -> None:
    assert (await alice.get("/@alice/123456789")).status_code == 404
    await alice.post("/posts", {"text": "hi"}, page="/home")
    (post,) = await _posts(runtime)
    moved = await alice.get(f"/@bob/{post.id}")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"/@alice/{post.id}"


async def test_load_more_pages_back_through_the_stream(alice: Browser, runtime: Runtime) -> None:
    for number in range(23):
        await alice.post("/posts", {"text": f"parley number {number}"}, page="/home")
    first = await alice.get("/local")
    assert "parley number 22" in first.text
    assert "parley number 2<" not in first.text
    older = re.search(r'href="(/local\?max_id=\d+)"', first.text)
    assert older
    more = await alice.get(older.group(1), headers={"HX-Request": "true"})
    assert more.status_code == 200
    assert "<html" not in more.text
    assert "parley number 0" in more.text
    assert "Load more" not in more.text
    plain = await alice.get(older.group(1))
    assert "<html" in plain.text


async def test_bad_max_id_is_refused(alice: Browser) -> None:
    assert (await alice.get("/home?max_id=abc")).status_code == 422


async def test_anonymous_visitors_can_read_public_parleys(
    alice: Browser, browser_factory: object, runtime: Runtime
) -> None:
    await alice.post("/posts", {"text": "hello world, #public"}, page="/home")
    (post,) = await _posts(runtime)
    anonymous: Browser = browser_factory()  # type: ignore[operator]
    for path in ("/local", "/tags/public", "/@alice", f"/@alice/{post.id}"):
        page = await anonymous.get(path)
        assert page.status_code == 200, path
        assert "hello world" in page.text, path
    assert (await anonymous.get("/home")).status_code == 303
    assert (await anonymous.get("/")).headers["location"] == "/about"
