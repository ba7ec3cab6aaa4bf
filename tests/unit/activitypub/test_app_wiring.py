"""The app's own worker (as `parley serve` and `parley worker` build it) federates local acts."""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import select

from parley.domain.events import Event, record
from parley.jobs.models import Job, JobState
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote, load_fixture
from tests.unit.activitypub.test_outbox import _known_bob, _write
from tests.unit.activitypub.test_remote_posts import receive, stored


async def test_the_apps_worker_delivers_a_new_post_to_remote_followers(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    await _known_bob(client, remote, runtime.worker)
    uri = await _write(runtime, alice.account_id, "hello fediverse", "public")
    await runtime.worker.drain()
    [request] = remote.inbox_posts
    activity = orjson.loads(request.content)
    assert activity["type"] == "Create"
    assert activity["object"]["id"] == uri


async def test_events_complete_when_there_is_nothing_to_send(
    runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    async with runtime.db.transaction() as session:
        await record(session, Event.POLL_VOTED, account_id=alice.account_id, poll_id=1, choices=[0])
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        states = (await session.scalars(select(Job.state))).all()
    assert states
    assert set(states) == {JobState.DONE}


async def test_a_post_from_another_server_records_its_event_for_streaming(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")  # the fixture's note mentions alice
    activity = load_fixture("mastodon_create_note.json")
    await receive(client, remote, runtime.worker, activity)
    post = await stored(runtime, activity["object"]["id"])
    async with runtime.db.reader() as session:
        kinds = (
            await session.scalars(select(Job.kind).where(Job.kind.like("%post.created%")))
        ).all()
        payloads = (
            await session.scalars(select(Job.payload).where(Job.kind == "event.post.created"))
        ).all()
    assert {"post_id": post.id} in payloads
    assert "listen.streaming.post.created" in kinds
