"""Real-world Create(Note) payloads become remote posts with sanitized HTML."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parley.activitypub.from_ap import parse_note
from parley.activitypub.markup import sanitize_html
from parley.domain.accounts.models import Account
from parley.domain.notifications.models import Notification
from parley.domain.posts import service as posts
from parley.domain.posts.models import Mention, Post, PostTag, Tag
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote, RemoteActor, load_fixture


def actor_for(remote: Remote, activity: dict[str, Any]) -> RemoteActor:
    uri = activity["actor"]
    host = uri.split("/")[2]
    return remote.actor(uri.rsplit("/", 1)[1], host=host, uri=uri)


async def receive(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, activity: dict[str, Any]
) -> None:
    response = await remote.deliver(client, activity, actor_for(remote, activity))
    assert response.status_code == 202
    await worker.drain()


async def stored(runtime: Runtime, uri: str) -> Post:
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.uri == uri))
    assert post is not None, f"{uri} was not stored"
    return post


def assert_clean(html: str) -> None:
    lowered = html.lower()
    for bad in (
        "<script",
        "onerror",
        "onmouseover",
        "javascript:",
        "<style",
        "<iframe",
        "<img",
        "<b ",
    ):
        assert bad not in lowered, bad


async def test_mastodon_note_is_stored_with_mention_tag_and_notification(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, members: Members, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    activity = load_fixture("mastodon_create_note.json")
    await receive(client, remote, worker, activity)
    post = await stored(runtime, activity["object"]["id"])
    assert_clean(post.content_html)
    assert 'class="u-url mention"' in post.content_html
    assert 'rel="nofollow noopener noreferrer"' in post.content_html
    assert "hello from Mastodon!" in post.text
    assert post.visibility == "public"
    assert post.local is False
    assert post.language == "en"
    assert post.url == "https://mastodon.example/@bob/113475629103945612"
    async with runtime.db.reader() as session:
        mentioned = list(
            await session.scalars(select(Mention.account_id).where(Mention.post_id == post.id))
        )
        tags = list(
            await session.scalars(
                select(Tag.name)
                .join(PostTag, PostTag.tag_id == Tag.id)
                .where(PostTag.post_id == post.id)
            )
        )
        notified = await session.scalar(
            select(Notification.type).where(Notification.account_id == alice.account_id)
        )
        author = await session.get(Account, post.account_id)
    assert mentioned == [alice.account_id]
    assert tags == ["fediverse"]
    assert notified == "mention"
    assert author is not None
    assert author.acct() == "bob@mastodon.example"


async def test_misskey_note_keeps_text_and_drops_scripted_links(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, runtime: Runtime
) -> None:
    activity = load_fixture("misskey_create_note.json")
    await receive(client, remote, worker, activity)
    post = await stored(runtime, activity["object"]["id"])
    assert_clean(post.content_html)
    assert "bold" in post.content_html
    assert "<br>" in post.content_html
    assert post.visibility == "public"
    # The quoted note could not be fetched (404 here), so the post stands alone.
    assert post.quote_of_id is None


async def test_pleroma_unlisted_note_is_unlisted_and_sanitized(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, runtime: Runtime
) -> None:
    activity = load_fixture("pleroma_create_note.json")
    await receive(client, remote, worker, activity)
    post = await stored(runtime, activity["object"]["id"])
    assert_clean(post.content_html)
    assert "display:none" not in post.content_html
    assert post.visibility == "unlisted"


async def test_gotosocial_reply_links_to_the_local_post_and_keeps_its_warning(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, members: Members, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    async with runtime.db.transaction() as session:
        author = await session.get(Account, alice.account_id)
        assert author is not None
        parent = await posts.create_post(
            session, runtime.ctx, author=author, text="parley!", visibility="public"
        )
    activity = load_fixture("gotosocial_create_note.json")
    activity["object"]["inReplyTo"] = parent.uri
    await receive(client, remote, worker, activity)
    post = await stored(runtime, activity["object"]["id"])
    assert post.in_reply_to_id == parent.id
    assert post.thread_id == parent.id
    assert post.spoiler_text == "cw: testing"
    assert post.sensitive is True
    async with runtime.db.reader() as session:
        refreshed = await session.get(Post, parent.id)
        notified = await session.scalar(
            select(Notification.type).where(Notification.account_id == alice.account_id)
        )
    assert refreshed is not None
    assert refreshed.replies_count == 1
    assert notified == "comment"


async def test_the_same_note_twice_is_stored_once(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, runtime: Runtime
) -> None:
    activity = load_fixture("mastodon_create_note.json")
    await receive(client, remote, worker, activity)
    activity["id"] += "-again"
    await receive(client, remote, worker, activity)
    async with runtime.db.reader() as session:
        assert len(list(await session.scalars(select(Post)))) == 1


@pytest.mark.parametrize(
    ("to", "cc", "visibility"),
    [
        (["https://www.w3.org/ns/activitystreams#Public"], [], "public"),
        (["as:Public"], [], "public"),
        (
            ["https://x.example/users/a/followers"],
            ["https://www.w3.org/ns/activitystreams#Public"],
            "unlisted",
        ),
        (["https://x.example/users/a/followers"], [], "private"),
        (["https://parley.test/users/alice"], [], "direct"),
    ],
)
def test_addressing_maps_to_visibility(to: list[str], cc: list[str], visibility: str) -> None:
    note = {
        "id": "https://x.example/notes/1",
        "type": "Note",
        "attributedTo": "https://x.example/users/a",
        "content": "hi",
        "to": to,
        "cc": cc,
    }
    assert parse_note(note).visibility == visibility


def test_mastodon_poll_becomes_a_poll() -> None:
    question = {
        "id": "https://x.example/users/a/statuses/2",
        "type": "Question",
        "attributedTo": "https://x.example/users/a",
        "content": "<p>Tea or coffee?</p>",
        "endTime": "2030-01-01T00:00:00Z",
        "votersCount": 3,
        "oneOf": [
            {"type": "Note", "name": "Tea", "replies": {"type": "Collection", "totalItems": 2}},
            {"type": "Note", "name": "Coffee", "replies": {"type": "Collection", "totalItems": 1}},
        ],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    poll = parse_note(question).poll
    assert poll is not None
    assert poll.options == [("Tea", 2), ("Coffee", 1)]
    assert poll.multiple is False
    assert poll.voters_count == 3


def test_sanitizer_keeps_structure_and_drops_everything_else() -> None:
    dirty = (
        '<p class="x" style="color:red">a<br><strong>b</strong><em>c</em></p>'
        "<ul><li>d</li></ul><blockquote><code>e</code></blockquote><pre>f</pre>"
        '<a href="https://ok.example" target="_blank" onclick="x()">g</a>'
        '<a href="data:text/html,evil">h</a><svg onload="x()"></svg><form><input></form>'
    )
    clean = sanitize_html(dirty)
    assert clean == (
        "<p>a<br><strong>b</strong><em>c</em></p><ul><li>d</li></ul>"
        "<blockquote><code>e</code></blockquote><pre>f</pre>"
        '<a href="https://ok.example" rel="nofollow noopener noreferrer">g</a>'
        '<a rel="nofollow noopener noreferrer">h</a>'
    )
