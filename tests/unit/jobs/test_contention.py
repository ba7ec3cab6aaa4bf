"""A job that lost a race for a database lock is tried again in a moment, not after backoff."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from parley.db.base import utcnow
from parley.jobs.models import Job, JobState
from parley.jobs.queue import enqueue
from parley.jobs.worker import Worker
from parley.runtime import Runtime


@pytest.mark.parametrize(
    ("error", "at_most"),
    [
        (OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked")), 5),
        (ValueError("a real failure"), None),
    ],
)
async def test_lock_contention_is_retried_soon(
    runtime: Runtime, error: Exception, at_most: int | None
) -> None:
    async def handler(_payload: dict[str, Any]) -> None:
        raise error

    worker = Worker(runtime.db, {"contended": handler})
    async with runtime.db.transaction() as session:
        job_id = (await enqueue(session, "contended", {})).id
    assert await worker.run_once()
    async with runtime.db.reader() as session:
        job = await session.get_one(Job, job_id)
    assert job.state == JobState.QUEUED
    assert job.attempts == 1  # counted either way: max_attempts still ends a stuck job
    wait = job.run_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
    if at_most is not None:
        assert wait <= timedelta(seconds=at_most)
    else:
        assert wait >= timedelta(seconds=20)  # the usual backoff (30 s for a first failure)
