"""Per-host delivery limits: leases shared by every worker, postponed jobs, bounded in-flight."""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta

import anyio
import httpx
import pytest
from sqlalchemy import update

from parley.activitypub import delivery
from parley.activitypub.federation import Federation
from parley.activitypub.jobs import build_federation_handlers
from parley.db.base import utcnow
from parley.jobs.models import Job, JobSlot, JobState
from parley.jobs.queue import enqueue
from parley.jobs.slots import SlotKeeper, acquire_slot, release_slot
from parley.jobs.worker import Postpone, Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote, public_resolver

ACTIVITY = {"id": "https://parley.test/x", "type": "Like", "actor": "a", "object": "b"}
LEASE = timedelta(minutes=2)


async def test_a_key_gives_out_at_most_its_limit_of_slots(runtime: Runtime) -> None:
    first = await acquire_slot(runtime.db, "deliver:a.example", limit=2, lease=LEASE)
    second = await acquire_slot(runtime.db, "deliver:a.example", limit=2, lease=LEASE)
    assert {first, second} == {0, 1}
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=2, lease=LEASE) is None
    # another host is not held up by this one
    assert await acquire_slot(runtime.db, "deliver:b.example", limit=2, lease=LEASE) == 0

    assert first is not None
    await release_slot(runtime.db, "deliver:a.example", first)
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=2, lease=LEASE) == first


async def test_a_dead_workers_slot_frees_itself_when_its_lease_ends(runtime: Runtime) -> None:
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=1, lease=LEASE) == 0
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=1, lease=LEASE) is None
    async with runtime.db.transaction() as session:  # the holder was killed two minutes ago
        await session.execute(update(JobSlot).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=1, lease=LEASE) == 0


async def test_a_kept_lease_goes_to_the_next_job_on_its_key_only(runtime: Runtime) -> None:
    keeper = SlotKeeper(hold=60)
    first = await keeper.take(runtime.db, "deliver:a.example", limit=1, lease=LEASE)
    assert first is not None
    await keeper.give(runtime.db, first)
    # Still locked in the table: other processes see the host's one slot taken...
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=1, lease=LEASE) is None
    # ...while this process's next job on it gets the lease back, and another key does not.
    assert await keeper.take(runtime.db, "deliver:b.example", limit=1, lease=LEASE) is not None
    again = await keeper.take(runtime.db, "deliver:a.example", limit=1, lease=LEASE)
    assert again == first
    assert await keeper.take(runtime.db, "deliver:a.example", limit=1, lease=LEASE) is None
    await keeper.give(runtime.db, again)
    await keeper.flush(runtime.db)
    assert keeper.kept() == 0
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=1, lease=LEASE) == 0


async def test_a_lease_near_its_end_or_unused_a_moment_goes_back_to_the_table(
    runtime: Runtime,
) -> None:
    # Less than the margin left: handed back at once, never reused.
    short = SlotKeeper(hold=60, margin=timedelta(minutes=5))
    held = await short.take(runtime.db, "deliver:a.example", limit=1, lease=LEASE)
    assert held is not None
    await short.give(runtime.db, held)
    assert short.kept() == 0
    assert await acquire_slot(runtime.db, "deliver:a.example", limit=1, lease=LEASE) == 0
    # Unused for `hold`: handed back by the sweeper, with no other job coming.
    brief = SlotKeeper(hold=0.05)
    held = await brief.take(runtime.db, "deliver:b.example", limit=1, lease=LEASE)
    assert held is not None
    await brief.give(runtime.db, held)
    assert brief.kept() == 1
    for _ in range(500):  # up to 10 s on a loaded machine
        if not brief.kept():
            break
        await anyio.sleep(0.02)
    assert brief.kept() == 0
    assert await acquire_slot(runtime.db, "deliver:b.example", limit=1, lease=LEASE) == 0


async def test_a_delivery_to_a_busy_host_is_postponed_without_posting(
    members: Members, remote: Remote, fed: Federation, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    limited = dataclasses.replace(
        fed, settings=fed.settings.model_copy(update={"delivery_per_host": 1})
    )
    assert await acquire_slot(runtime.db, "deliver:mastodon.example", limit=1, lease=LEASE) == 0
    payload = {
        "activity": ACTIVITY,
        "inbox": "https://mastodon.example/inbox",
        "signer_id": alice.account_id,
    }
    with pytest.raises(Postpone):
        await delivery.deliver(limited, payload)
    assert remote.inbox_posts == []

    await release_slot(runtime.db, "deliver:mastodon.example", 0)
    await delivery.deliver(limited, payload)
    assert len(remote.inbox_posts) == 1
    # After the POST this process keeps the lease a moment for its next delivery there, then
    # hands it back to every process.
    assert limited.leases.kept() == 1
    assert await acquire_slot(runtime.db, "deliver:mastodon.example", limit=1, lease=LEASE) is None
    await delivery.deliver(limited, payload)  # the kept lease: no Postpone
    assert len(remote.inbox_posts) == 2
    await limited.leases.flush(runtime.db)
    assert await acquire_slot(runtime.db, "deliver:mastodon.example", limit=1, lease=LEASE) == 0


async def test_a_postponed_job_waits_and_keeps_its_attempts(runtime: Runtime) -> None:
    async def busy(_: dict[str, object]) -> None:
        raise Postpone(timedelta(seconds=30))

    async with runtime.db.transaction() as session:
        job = await enqueue(session, "busy", {}, max_attempts=1)
    worker = Worker(runtime.db, {"busy": busy})
    assert await worker.run_once()
    async with runtime.db.reader() as session:
        stored = await session.get(Job, job.id)
    assert stored is not None
    assert stored.state == JobState.QUEUED  # not failed, though max_attempts is 1
    assert stored.attempts == 0
    assert stored.last_error is None
    assert stored.run_at > utcnow() + timedelta(seconds=20)
    assert not await worker.run_once()  # not due yet


async def test_concurrent_workers_keep_a_host_to_its_limit(
    members: Members, fed: Federation, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    in_flight = 0
    most = 0
    delivered: list[str] = []

    async def slow_inbox(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await anyio.sleep(0.2)
        in_flight -= 1
        delivered.append(request.url.path)
        return httpx.Response(202)

    limited = dataclasses.replace(
        fed,
        settings=fed.settings.model_copy(update={"delivery_per_host": 2}),
        transport=httpx.MockTransport(slow_inbox),
        resolver=public_resolver,
    )
    async with runtime.db.transaction() as session:
        for n in range(8):
            await enqueue(
                session,
                delivery.DELIVER_JOB,
                {
                    "activity": ACTIVITY,
                    "inbox": f"https://mastodon.example/users/u{n}/inbox",
                    "signer_id": alice.account_id,
                },
            )
    worker = Worker(runtime.db, build_federation_handlers(runtime, limited), concurrency=6)

    async def all_done() -> None:
        while True:
            await anyio.sleep(0.05)
            async with runtime.db.transaction() as session:  # postponed jobs: due again now
                waiting = await session.execute(
                    update(Job).where(Job.state == JobState.QUEUED).values(run_at=utcnow())
                )
            if waiting.rowcount == 0:  # type: ignore[attr-defined]
                return

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(functools.partial(worker.run_forever, idle_sleep=0.01))
            await all_done()
            worker.stop()
    assert most == 2  # six loops, eight deliveries, never more than two at the host at once
    assert sorted(delivered) == sorted(f"/users/u{n}/inbox" for n in range(8)), delivered
