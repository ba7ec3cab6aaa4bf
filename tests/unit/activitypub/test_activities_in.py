"""More inbound activities: locked accounts, echoes, likes, profile updates, blocks, and
followers-only posts fetched by a follower's signed request."""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import select

from parley.activitypub.signatures import sign_request
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account
from parley.domain.interactions.models import Upvote
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Block, Follow, FollowRequest
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote, RemoteActor
from tests.unit.activitypub.test_inbox import ALICE, follow

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _alice_post(runtime: Runtime, account_id: int, visibility: str = "public") -> Post:
    async with runtime.db.transaction() as session:
        author = await session.get(Account, account_id)
        assert author is not None
        return await posts.create_post(
            session, runtime.ctx, author=author, text="hi", visibility=visibility
        )


async def test_following_a_locked_account_waits_for_approval(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    async with runtime.db.transaction() as session:
        account = await session.get(Account, alice.account_id)
        assert account is not None
        await accounts.update_profile(session, runtime.ctx, account=account, locked=True)
    bob = remote.actor("bob")
    await remote.deliver(client, follow(bob.uri), bob)
    await worker.drain()
    async with runtime.db.reader() as session:
        assert await session.scalar(select(FollowRequest)) is not None
        assert await session.scalar(select(Follow)) is None
    assert remote.inbox_posts == []


async def _signed_get(client: httpx.AsyncClient, path: str, actor: RemoteActor) -> httpx.Response:
    headers = sign_request(
        method="GET",
        url=f"https://parley.test{path}",
        key_id=actor.key_id,
        private_key_pem=actor.private_pem,
    )
    headers["Accept"] = "application/activity+json"
    return await client.get(path, headers=headers)


async def test_followers_only_post_is_served_to_a_follower_signed_request(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    bob = remote.actor("bob")
    mallory = remote.actor("mallory", key_index=1)
    await remote.deliver(client, follow(bob.uri), bob)
    await worker.drain()
    post = await _alice_post(runtime, alice.account_id, "private")
    path = f"/users/alice/statuses/{post.id}"
    assert (await _signed_get(client, path, bob)).json()["id"] == post.uri
    assert (await _signed_get(client, path, mallory)).status_code == 404


async def test_announce_and_like_of_a_local_post_and_their_undo(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    post = await _alice_post(runtime, alice.account_id)
    bob = remote.actor("bob")
    announce = {
        "id": f"{bob.uri}/statuses/9/activity",
        "type": "Announce",
        "actor": bob.uri,
        "object": post.uri,
        "to": [PUBLIC],
        "cc": [ALICE],
    }
    like = {"id": f"{bob.uri}#likes/9", "type": "Like", "actor": bob.uri, "object": post.uri}
    for activity in (announce, like):
        assert (await remote.deliver(client, activity, bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        original = await session.get(Post, post.id)
        echo = await session.scalar(select(Post).where(Post.echo_of_id == post.id))
        upvote = await session.scalar(select(Upvote))
    assert original is not None
    assert (original.echoes_count, original.upvotes_count) == (1, 1)
    assert echo is not None
    assert echo.uri == announce["id"]
    assert upvote is not None
    assert upvote.uri == like["id"]

    for inner in (announce, like):
        undo = {"id": f"{inner['id']}/undo", "type": "Undo", "actor": bob.uri, "object": inner}
        assert (await remote.deliver(client, undo, bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        original = await session.get(Post, post.id)
        assert await session.scalar(select(Post).where(Post.echo_of_id == post.id)) is None
    assert original is not None
    assert (original.echoes_count, original.upvotes_count) == (0, 0)


async def test_profile_update_is_applied_and_cannot_touch_others(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    mallory = remote.actor("mallory", key_index=1)
    await remote.deliver(client, follow(bob.uri), bob)  # makes bob known
    renamed = {**bob.document, "name": "Robert <script>x</script>"}
    update = {"id": f"{bob.uri}#updates/1", "type": "Update", "actor": bob.uri, "object": renamed}
    forged = {**bob.document, "id": bob.uri, "name": "Hacked"}
    hijack = {
        "id": f"{mallory.uri}#updates/1",
        "type": "Update",
        "actor": mallory.uri,
        "object": forged,
    }
    await remote.deliver(client, update, bob)
    await remote.deliver(client, hijack, mallory)
    await worker.drain()
    async with runtime.db.reader() as session:
        account = await session.scalar(select(Account).where(Account.uri == bob.uri))
    assert account is not None
    assert account.display_name == "Robert"  # the script and its text are dropped


async def test_a_remote_block_ends_the_follow(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    await members.create("alice")
    bob = remote.actor("bob")
    await remote.deliver(client, follow(bob.uri), bob)
    await worker.drain()
    block = {"id": f"{bob.uri}#blocks/1", "type": "Block", "actor": bob.uri, "object": ALICE}
    await remote.deliver(client, block, bob)
    await worker.drain()
    async with runtime.db.reader() as session:
        assert await session.scalar(select(Follow)) is None
        stored = await session.scalar(select(Block))
    assert stored is not None
    assert stored.uri == block["id"]


async def test_a_deleted_remote_account_disappears(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    await remote.deliver(client, follow(bob.uri), bob)
    delete = {"id": f"{bob.uri}#delete", "type": "Delete", "actor": bob.uri, "object": bob.uri}
    assert (await client.post("/inbox", content=orjson.dumps(delete))).status_code == 401
    assert (await remote.deliver(client, delete, bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        account = await session.scalar(select(Account).where(Account.uri == bob.uri))
    assert account is not None
    assert account.suspended_at is not None
