"""The worker loop: claim a due job with a lease, run its handler, record the outcome.

States: queued -> done, or queued -> (retry with backoff) -> ... -> failed. A worker killed
mid-job leaves its lease to expire, after which another worker runs the job again, so
handlers are written to be idempotent. A handler that cannot start yet (its remote host
already has its share of deliveries running) raises `Postpone`: the job waits a moment and
the attempt is not counted.

One worker runs `concurrency` jobs at once (separate claim loops); several worker processes
may run against one database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import or_, select, update

from parley.db.base import utcnow
from parley.db.engine import Database, is_contention
from parley.jobs.models import Job, JobState
from parley.jobs.queue import backoff

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
LEASE = timedelta(minutes=5)
CONTENTION_RETRY = timedelta(seconds=1)


class Postpone(Exception):
    """Raised by a handler that cannot run now: run the job again after `delay`, uncounted."""

    def __init__(self, delay: timedelta) -> None:
        super().__init__(f"postponed by {delay}")
        self.delay = delay


class Worker:
    def __init__(
        self, db: Database, handlers: Mapping[str, Handler], *, concurrency: int = 1
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.concurrency = max(1, concurrency)
        self._stopping = False
        # Jobs queued by this process wake the idle loops at once instead of at the next poll.
        self._loop_of_worker: asyncio.AbstractEventLoop | None = None
        self._work: asyncio.Event | None = None
        db.after_jobs_committed.append(self.wake)

    def wake(self) -> None:
        """Jobs were committed (from any thread of this process): stop idling."""
        loop, work = self._loop_of_worker, self._work
        if loop is None or work is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            work.set()
        else:
            loop.call_soon_threadsafe(work.set)

    async def _claim(self) -> Job | None:
        """Take the next due job's lease: one UPDATE ... RETURNING (one round trip)."""
        now = utcnow()
        due = (
            Job.state == JobState.QUEUED,
            Job.run_at <= now,
            or_(Job.locked_until.is_(None), Job.locked_until < now),
        )
        next_due = (
            select(Job.id)
            .where(*due)
            .order_by(Job.run_at)
            .limit(1)
            # PostgreSQL: concurrent workers each take another row instead of waiting for
            # the same one (SQLite has one writer and ignores this).
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self.db.transaction() as session:
            job: Job | None = await session.scalar(
                # Checked again on the row itself: since the subquery chose it, another worker
                # may have run the job to the end (done, lock cleared) or postponed it.
                update(Job)
                .where(Job.id == next_due, *due)
                .values(locked_until=now + LEASE, attempts=Job.attempts + 1)
                .returning(Job)
                .execution_options(synchronize_session=False)
            )
        return job

    async def run_once(self) -> bool:
        """Run one due job; False when there was none."""
        job = await self._claim()
        if job is None:
            return False
        handler = self.handlers.get(job.kind)
        error: str | None = None
        soon = False
        if handler is None:
            error = f"no handler for job kind {job.kind!r}"
        else:
            try:
                await handler(job.payload)
            except Postpone as wait:
                await self._postpone(job, wait.delay)
                return True
            except Exception as exc:  # a failed job is retried, never lost
                log.warning("job %s (%s) failed: %s", job.id, job.kind, exc, exc_info=True)
                error = f"{type(exc).__name__}: {exc}"
                # A lost race for a lock is over in a moment: retry soon (still counted).
                soon = is_contention(exc)
        async with self.db.transaction() as session:
            values: dict[str, Any]
            if error is None:
                values = {"state": JobState.DONE, "finished_at": utcnow(), "locked_until": None}
            elif job.attempts >= job.max_attempts or handler is None:
                values = {"state": JobState.FAILED, "finished_at": utcnow(), "last_error": error}
            else:
                values = {
                    "run_at": utcnow() + (CONTENTION_RETRY if soon else backoff(job.attempts)),
                    "locked_until": None,
                    "last_error": error,
                }
            await session.execute(update(Job).where(Job.id == job.id).values(**values))
        return True

    async def _postpone(self, job: Job, delay: timedelta) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job.id)
                .values(run_at=utcnow() + delay, locked_until=None, attempts=Job.attempts - 1)
            )

    async def drain(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (tests and `parley worker --once`)."""
        count = 0
        while count < limit and await self.run_once():
            count += 1
        return count

    async def run_forever(self, *, idle_sleep: float = 0.5) -> None:
        """Run jobs, `concurrency` at a time, until cancelled or until `stop()`."""
        self._stopping = False
        self._loop_of_worker, self._work = asyncio.get_running_loop(), asyncio.Event()
        async with anyio.create_task_group() as loops:
            for _ in range(self.concurrency):
                loops.start_soon(self._loop, idle_sleep)

    def stop(self) -> None:
        """Let run_forever return once the jobs in hand are finished (no job cut short)."""
        self._stopping = True
        self.wake()  # idle loops notice now, not at their next poll

    async def _loop(self, idle_sleep: float) -> None:
        while not self._stopping:
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("worker loop error; continuing")
                worked = False
            if not worked:
                await self._idle(idle_sleep)

    async def _idle(self, seconds: float) -> None:
        """Wait for the next poll, or less when this process queues a job."""
        work = self._work
        if work is None:
            await anyio.sleep(seconds)
            return
        with anyio.move_on_after(seconds):
            await work.wait()
        work.clear()
