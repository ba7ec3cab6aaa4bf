"""An idle worker runs a job this process queued at once, not at its next poll."""

from __future__ import annotations

from typing import Any

import anyio

from parley.jobs.queue import enqueue
from parley.jobs.worker import Worker
from parley.runtime import Runtime

POLL = 120.0  # far longer than the test may take: only a wake-up can run the job in time


async def test_a_committed_job_wakes_the_idle_worker(runtime: Runtime) -> None:
    ran = anyio.Event()

    async def handler(_payload: dict[str, Any]) -> None:
        ran.set()

    worker = Worker(runtime.db, {"wake.test": handler})
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(lambda: worker.run_forever(idle_sleep=POLL))
        await anyio.sleep(0.2)  # the loop has polled once and is idle
        async with runtime.db.transaction() as session:
            await enqueue(session, "wake.test", {})
        with anyio.fail_after(20):
            await ran.wait()
            worker.stop()  # and the idle loops end without waiting for their poll


async def test_a_rolled_back_job_wakes_nobody(runtime: Runtime) -> None:
    woken: list[bool] = []
    runtime.db.after_jobs_committed.append(lambda: woken.append(True))

    class Boom(Exception):
        pass

    try:
        async with runtime.db.transaction() as session:
            await enqueue(session, "wake.test", {})
            raise Boom
    except Boom:
        pass
    assert woken == []
    async with runtime.db.transaction() as session:
        await enqueue(session, "wake.test", {})
    assert woken == [True]
