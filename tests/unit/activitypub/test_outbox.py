"""Local acts become activities for exactly the servers that should get them."""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import select

from parley.activitypub.federation import Federation
from parley.activitypub.outbox import build_listeners
from parley.domain.accounts.models import Account
from parley.domain.federation.remote_posts import find_post_by_uri
from parley.domain.interactions import service as interactions
from parley.domain.interactions.models import Upvote
from parley.domain.posts import service as posts
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote
from tests.unit.activitypub.test_inbox import follow


async def _known_bob(client: httpx.AsyncClient, remote: Remote, worker: Worker) -> str:
    """Bob of mastodon.example follows alice (so we know him); his Accept is cleared away."""
    bob = remote.actor("bob")
    await remote.deliver(client, follow(bob.uri), bob)
    await worker.drain()
    remote.inbox_posts.clear()
    return bob.uri


async def _write(runtime: Runtime, account_id: int, text: str, visibility: str) -> str:
    async with runtime.db.transaction() as session:
        author = await session.get(Account, account_id)
        assert author is not None
        post = await posts.create_post(
            session, runtime.ctx, author=author, text=text, visibility=visibility
        )
        return post.uri


async def test_a_public_post_goes_to_followers_as_create(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    await _known_bob(client, remote, worker)
    uri = await _write(runtime, alice.account_id, "hello world", "public")
    await worker.drain()
    [request] = remote.inbox_posts
    activity = orjson.loads(request.content)
    assert request.url.path == "/inbox"  # the shared inbox
    assert activity["type"] == "Create"
    assert activity["object"]["id"] == uri
    assert activity["cc"] == ["https://parley.test/users/alice/followers"]


async def test_a_direct_message_goes_only_to_the_mentioned(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    bob_uri = await _known_bob(client, remote, worker)
    carol = remote.actor("carol", host="other.example", key_index=1)
    await remote.deliver(client, follow(carol.uri), carol)
    await worker.drain()
    remote.inbox_posts.clear()
    await _write(runtime, alice.account_id, "@bob@mastodon.example psst", "direct")
    await worker.drain()
    [request] = remote.inbox_posts
    assert request.headers["host"] == "mastodon.example"
    note = orjson.loads(request.content)["object"]
    assert note["to"] == [bob_uri]
    assert note["cc"] == []
    assert {"type": "Mention", "href": bob_uri, "name": "@bob@mastodon.example"} in note["tag"]


async def test_an_upvote_is_a_like_to_the_author_and_undo_names_the_post(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    bob = remote.actor("bob")
    note = {
        "id": f"{bob.uri}/statuses/1",
        "type": "Note",
        "attributedTo": bob.uri,
        "content": "<p>like me</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    create = {"id": f"{note['id']}/activity", "type": "Create", "actor": bob.uri, "object": note}
    await remote.deliver(client, create, bob)
    await worker.drain()
    async with runtime.db.transaction() as session:
        me = await session.get(Account, alice.account_id)
        assert me is not None
        post = await find_post_by_uri(session, note["id"])
        assert post is not None
        await interactions.upvote_post(session, actor=me, post_id=post.id)
        upvote_uri = await session.scalar(select(Upvote.uri))
    await worker.drain()
    async with runtime.db.transaction() as session:
        me = await session.get(Account, alice.account_id)
        assert me is not None
        await interactions.remove_upvote(session, actor=me, post_id=post.id)
    await worker.drain()
    like, undo = (orjson.loads(r.content) for r in remote.inbox_posts)
    assert like["type"] == "Like"
    assert like["id"] == upvote_uri
    assert like["object"] == note["id"]
    assert undo["type"] == "Undo"
    assert undo["object"]["type"] == "Like"
    assert undo["object"]["object"] == note["id"]


async def test_a_deleted_account_tells_every_known_server(
    client: httpx.AsyncClient,
    remote: Remote,
    members: Members,
    worker: Worker,
    fed: Federation,
) -> None:
    alice = await members.create("alice")
    await _known_bob(client, remote, worker)
    listeners = build_listeners(fed)
    await listeners["account.deleted"]({"account_id": alice.account_id})
    await worker.drain()
    [request] = remote.inbox_posts
    activity = orjson.loads(request.content)
    assert activity["type"] == "Delete"
    assert activity["object"] == "https://parley.test/users/alice"
