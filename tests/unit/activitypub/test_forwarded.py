"""Activities forwarded by a third server count only as their origin vouches for them."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from parley.domain.federation.models import InboxActivity
from parley.domain.posts.models import Post
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.unit.activitypub.conftest import Remote, RemoteActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note(author: RemoteActor, n: int, text: str) -> dict[str, Any]:
    return {
        "id": f"{author.uri}/statuses/{n}",
        "type": "Note",
        "attributedTo": author.uri,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
        "published": "2026-11-23T12:00:00Z",
    }


def create(author: RemoteActor, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"{obj['id']}/activity", "type": "Create", "actor": author.uri, "object": obj}


async def stored_texts(runtime: Runtime) -> list[str]:
    async with runtime.db.reader() as session:
        return list(await session.scalars(select(Post.content_html)))


async def last_error(runtime: Runtime) -> str | None:
    async with runtime.db.reader() as session:
        rows = list(await session.scalars(select(InboxActivity).order_by(InboxActivity.id)))
    return rows[-1].error


async def test_a_forwarded_reply_is_stored_as_its_origin_serves_it(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    real = note(bob, 1, "what bob wrote")
    remote.documents[real["id"]] = real
    forged = {**real, "content": "<p>what the forwarder says bob wrote</p>"}
    response = await remote.deliver(client, create(bob, forged), carol)
    assert response.status_code == 202
    await worker.drain()
    assert await stored_texts(runtime) == ["<p>what bob wrote</p>"]
    asked = [f"https://{r.headers['host']}{r.url.raw_path.decode()}" for r in remote.requests]
    assert real["id"] in asked  # the origin was asked


async def test_a_forwarded_object_the_origin_does_not_serve_is_refused(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    invented = note(bob, 2, "never written")  # not in remote.documents: 404 at the origin
    assert (await remote.deliver(client, create(bob, invented), carol)).status_code == 202
    await worker.drain()
    assert await stored_texts(runtime) == []
    assert (await last_error(runtime) or "").startswith("rejected")


async def test_a_forwarded_object_the_origin_attributes_to_another_is_refused(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    dave = remote.actor("dave")
    carol = remote.actor("carol", host="other.example", key_index=1)
    daves = note(dave, 3, "dave's words")
    daves["id"] = f"{bob.uri}/statuses/3"  # on bob's host, but the origin says dave wrote it
    remote.documents[daves["id"]] = daves
    forged = {**daves, "attributedTo": bob.uri}
    assert (await remote.deliver(client, create(bob, forged), carol)).status_code == 202
    await worker.drain()
    assert await stored_texts(runtime) == []


async def test_a_forward_of_an_object_on_another_host_is_401(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    elsewhere = {**note(bob, 4, "x"), "id": "https://other.example/statuses/4"}
    assert (await remote.deliver(client, create(bob, elsewhere), carol)).status_code == 401
    async with runtime.db.reader() as session:
        assert await session.scalar(select(InboxActivity.id)) is None


async def test_a_forger_cannot_take_the_id_of_the_authors_own_delivery(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    real = note(bob, 5, "the real one")
    remote.documents[real["id"]] = real
    assert (await remote.deliver(client, create(bob, note(bob, 5, "x")), carol)).status_code == 202
    assert (await remote.deliver(client, create(bob, real), bob)).status_code == 202
    async with runtime.db.reader() as session:
        assert len(list(await session.scalars(select(InboxActivity.id)))) == 2
    await worker.drain()
    assert await stored_texts(runtime) == ["<p>the real one</p>"]


async def test_a_forwarded_delete_counts_only_when_the_origin_says_gone(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    real = note(bob, 6, "still here")
    remote.documents[real["id"]] = real
    await remote.deliver(client, create(bob, real), bob)
    await worker.drain()
    delete = {
        "id": f"{real['id']}#delete",
        "type": "Delete",
        "actor": bob.uri,
        "object": {"id": real["id"], "type": "Tombstone"},
    }
    assert (await remote.deliver(client, delete, carol)).status_code == 202
    await worker.drain()
    assert await stored_texts(runtime) == ["<p>still here</p>"]  # the origin still serves it
    assert (await last_error(runtime) or "").startswith("rejected")

    del remote.documents[real["id"]]  # now bob really deleted it: 404 at the origin
    delete["id"] = f"{real['id']}#delete2"
    assert (await remote.deliver(client, delete, carol)).status_code == 202
    await worker.drain()
    assert await stored_texts(runtime) == []


async def test_other_activities_signed_by_a_third_party_are_still_401(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    like = {
        "id": f"{bob.uri}#likes/1",
        "type": "Like",
        "actor": bob.uri,
        "object": f"{bob.uri}/statuses/1",
    }
    assert (await remote.deliver(client, like, carol)).status_code == 401
