"""Bounding concurrency across every worker process: at most `limit` leases per key at once.

The leases live in the database (table job_slots), so the bound holds however many worker
processes run, and a lease whose holder died frees itself when it expires. Taking a slot is
one conditional UPDATE (plus an INSERT the first few times a key is seen), so it costs about
what claiming the job did.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.jobs.models import JobSlot


async def acquire_slot(db: Database, key: str, *, limit: int, lease: timedelta) -> int | None:
    """Take a free slot for `key` until now + `lease`; None when all `limit` are taken."""
    now = utcnow()
    free = or_(JobSlot.locked_until.is_(None), JobSlot.locked_until < now)
    async with db.transaction() as session:
        # Write first (SQLite then takes its write lock at once, instead of failing to upgrade
        # a read); the repeated condition keeps a concurrent taker from winning the same slot.
        first_free = (
            select(JobSlot.slot)
            .where(JobSlot.key == key, JobSlot.slot < limit, free)
            .order_by(JobSlot.slot)
            .limit(1)
            .scalar_subquery()
        )
        taken = await session.scalar(
            update(JobSlot)
            .where(JobSlot.key == key, JobSlot.slot == first_free, free)
            .values(locked_until=now + lease)
            .returning(JobSlot.slot)
        )
        if taken is not None:
            return int(taken)
        count = await session.scalar(
            select(func.count()).select_from(JobSlot).where(JobSlot.key == key)
        )
        if (count or 0) >= limit:
            return None
        try:
            async with session.begin_nested():
                session.add(JobSlot(key=key, slot=count or 0, locked_until=now + lease))
                await session.flush()
        except IntegrityError:  # another worker made this slot at the same moment
            return None
        return count or 0


async def release_slot(db: Database, key: str, slot: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(JobSlot)
            .where(JobSlot.key == key, JobSlot.slot == slot)
            .values(locked_until=None)
        )
