"""The inbox refuses bad input at the door and applies what it accepts exactly once."""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import func, select

from parley.activitypub.federation import Federation
from parley.domain.accounts.models import Account
from parley.domain.federation.models import InboxActivity
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Follow
from parley.jobs.models import Job
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote

ALICE = "https://parley.test/users/alice"


def follow(actor_uri: str, n: int = 1) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_uri}#follows/{n}",
        "type": "Follow",
        "actor": actor_uri,
        "object": ALICE,
    }


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_malformed_json_is_400(client: httpx.AsyncClient, remote: Remote) -> None:
    bob = remote.actor("bob")
    body = b'{"type": "Follow", '
    response = await client.post(
        "/inbox", content=body, headers=remote.signed_headers("/inbox", body, bob)
    )
    assert response.status_code == 400


async def test_json_that_is_not_an_activity_is_400(client: httpx.AsyncClient) -> None:
    for body in (b"[]", b'"x"', b'{"type": "Follow"}', b'{"actor": "https://a.example/u"}'):
        assert (await client.post("/inbox", content=body)).status_code == 400


async def test_unsigned_activity_is_401(client: httpx.AsyncClient, runtime: Runtime) -> None:
    response = await client.post(
        "/inbox", content=orjson.dumps(follow("https://mastodon.example/users/bob"))
    )
    assert response.status_code == 401
    assert await count(runtime, InboxActivity) == 0


async def test_forged_signature_is_401(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")
    bob = remote.actor("bob", key_index=0)
    forger = remote.actor("mallory", key_index=1)
    forger.key_id = bob.key_id  # signs with its own key but claims bob's
    response = await remote.deliver(client, follow(bob.uri), forger)
    assert response.status_code == 401
    assert await count(runtime, InboxActivity) == 0


async def test_signer_must_be_the_actor(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")
    bob = remote.actor("bob")
    mallory = remote.actor("mallory", key_index=1)
    response = await remote.deliver(client, follow(bob.uri), mallory)
    assert response.status_code == 401
    assert await count(runtime, InboxActivity) == 0


async def test_unknown_personal_inbox_is_404(client: httpx.AsyncClient, remote: Remote) -> None:
    bob = remote.actor("bob")
    response = await remote.deliver(client, follow(bob.uri), bob, path="/users/nobody/inbox")
    assert response.status_code == 404


async def test_follow_is_accepted_once_even_when_replayed(
    client: httpx.AsyncClient,
    remote: Remote,
    members: Members,
    runtime: Runtime,
    worker: Worker,
) -> None:
    await members.create("alice")
    bob = remote.actor("bob")
    for _ in range(2):
        response = await remote.deliver(client, follow(bob.uri), bob, path="/users/alice/inbox")
        assert response.status_code == 202
    assert await count(runtime, InboxActivity) == 1
    await worker.drain()
    assert await count(runtime, Follow) == 1
    async with runtime.db.reader() as session:
        alice = await session.scalar(select(Account).where(Account.uri == ALICE))
        assert alice is not None
        assert alice.followers_count == 1
        remote_bob = await session.scalar(select(Account).where(Account.uri == bob.uri))
        assert remote_bob is not None
        assert remote_bob.domain == "mastodon.example"
    [accept] = [orjson.loads(r.content) for r in remote.inbox_posts]
    assert accept["type"] == "Accept"
    assert accept["actor"] == ALICE
    assert accept["object"]["id"] == f"{bob.uri}#follows/1"
    assert remote.inbox_posts[0].headers["host"] == "mastodon.example"
    assert "signature" in remote.inbox_posts[0].headers


async def test_undo_follow_ends_the_follow(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    await members.create("alice")
    bob = remote.actor("bob")
    await remote.deliver(client, follow(bob.uri), bob)
    await worker.drain()
    undo = {
        "id": f"{bob.uri}#follows/1/undo",
        "type": "Undo",
        "actor": bob.uri,
        "object": follow(bob.uri),
    }
    assert (await remote.deliver(client, undo, bob)).status_code == 202
    await worker.drain()
    assert await count(runtime, Follow) == 0


async def test_object_claiming_another_host_is_not_stored(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker, fed: Federation
) -> None:
    bob = remote.actor("bob")
    note = {
        "id": "https://victim.example/users/carol/statuses/1",
        "type": "Note",
        "attributedTo": "https://victim.example/users/carol",
        "content": "<p>words put in carol's mouth</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    create = {
        "id": f"{bob.uri}/statuses/1/activity",
        "type": "Create",
        "actor": bob.uri,
        "object": note,
    }
    assert (await remote.deliver(client, create, bob)).status_code == 202
    await worker.drain()
    assert await count(runtime, Post) == 0
    async with runtime.db.reader() as session:
        row = await session.scalar(select(InboxActivity))
        assert row is not None
        assert row.error is not None
        assert row.error.startswith("rejected")


async def test_activity_id_on_another_host_is_refused(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime
) -> None:
    bob = remote.actor("bob")
    activity = {**follow(bob.uri), "id": "https://victim.example/activities/1"}
    assert (await remote.deliver(client, activity, bob)).status_code == 400
    assert await count(runtime, InboxActivity) == 0


async def test_unknown_types_are_stored_and_ignored(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    activity = {"id": f"{bob.uri}#dance/1", "type": "Dance", "actor": bob.uri, "object": ALICE}
    assert (await remote.deliver(client, activity, bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        row = await session.scalar(select(InboxActivity))
        assert row is not None
        assert row.processed_at is not None
        assert row.error is not None
        assert row.error.startswith("ignored")
        failed = await session.scalar(
            select(func.count()).select_from(Job).where(Job.state == "failed")
        )
    assert failed == 0


async def test_delete_of_an_unknown_actor_is_accepted_without_fetching(
    client: httpx.AsyncClient, remote: Remote
) -> None:
    gone = "https://mastodon.example/users/gone"
    activity = {"id": f"{gone}#delete", "type": "Delete", "actor": gone, "object": gone}
    response = await client.post("/inbox", content=orjson.dumps(activity))
    assert response.status_code == 202
    assert remote.requests == []


async def test_rotated_key_is_fetched_again(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")
    bob = remote.actor("bob", key_index=0)
    assert (await remote.deliver(client, follow(bob.uri, 1), bob)).status_code == 202
    rotated = remote.actor("bob", key_index=1)  # same actor, new key served from now on
    assert (await remote.deliver(client, follow(bob.uri, 2), rotated)).status_code == 202
    assert await count(runtime, InboxActivity) == 2
