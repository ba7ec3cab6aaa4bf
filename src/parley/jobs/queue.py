"""Putting work on the durable queue, from inside the transaction that makes it necessary.

A job enqueued in a service's transaction exists exactly when that transaction commits,
so no accepted work is lost if the process dies right after answering.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.engine import JOBS_QUEUED
from parley.jobs.models import Job


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = 10,
) -> Job:
    job = Job(kind=kind, payload=payload, run_at=run_at or utcnow(), max_attempts=max_attempts)
    session.add(job)
    await session.flush()
    session.info[JOBS_QUEUED] = True
    return job


def backoff(attempts: int) -> timedelta:
    """Delay before retry number `attempts`: 30 s doubling, capped at 12 h (about 5 days in 14)."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 12 * 3600))
