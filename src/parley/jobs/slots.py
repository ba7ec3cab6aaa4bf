"""Bounding concurrency across every worker process: at most `limit` leases per key at once.

The leases live in the database (table job_slots), so the bound holds however many worker
processes run, and a lease whose holder died frees itself when it expires. Taking a slot is
one conditional UPDATE (plus an INSERT the first few times a key is seen), so it costs about
what claiming the job did; a `SlotKeeper` saves most of those round trips for a busy key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.jobs.models import JobSlot

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class Lease:
    key: str
    slot: int
    until: datetime  # no later than the row's locked_until


@dataclass(slots=True)
class _Kept:
    lease: Lease
    since: float  # time.monotonic() when it was given back


class SlotKeeper:
    """A process's leases kept for a moment after use, for its next job on the same key.

    Taking and handing back a lease costs two transactions per job. A lease given back here
    stays locked in the table and goes straight to this process's next job on that key, with
    no database round trip, while at least `margin` of it remains (longer than any holder
    needs it); otherwise, or once unused for `hold` seconds (checked at every take and give,
    and by `flush`), it is handed back to the table for every process.
    """

    def __init__(self, *, hold: float = 1.0, margin: timedelta = timedelta(seconds=60)) -> None:
        self.hold = hold
        self.margin = margin
        self._kept: dict[str, list[_Kept]] = {}
        # Hands back what stays unused even when no other job comes (see `give`).
        self._sweeper: asyncio.Task[None] | None = None

    async def take(self, db: Database, key: str, *, limit: int, lease: timedelta) -> Lease | None:
        await self._hand_back(db, stale_only=True)
        # Looked up again after every await: another task may have changed the table.
        while kept := self._kept.get(key):
            held = kept.pop().lease
            if not kept:
                del self._kept[key]
            if held.until - utcnow() >= self.margin:
                return held
            await release_slot(db, key, held.slot)
        started = utcnow()  # before the row's own now(): `until` errs early, never late
        slot = await acquire_slot(db, key, limit=limit, lease=lease)
        return None if slot is None else Lease(key, slot, started + lease)

    async def give(self, db: Database, held: Lease) -> None:
        if held.until - utcnow() >= self.margin and self.hold > 0:
            self._kept.setdefault(held.key, []).append(_Kept(held, time.monotonic()))
            if self._sweeper is None or self._sweeper.done():
                self._sweeper = asyncio.get_running_loop().create_task(self._sweep(db))
        else:
            await release_slot(db, held.key, held.slot)
        await self._hand_back(db, stale_only=True)

    async def flush(self, db: Database) -> None:
        """Hand every kept lease back (shutdown)."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None and sweeper is not asyncio.current_task():
            sweeper.cancel()
        await self._hand_back(db, stale_only=False)

    async def _sweep(self, db: Database) -> None:
        """While leases are kept, hand back those unused for `hold`, so a process that turned
        to other work (or none) does not sit on a host's leases until they expire."""
        while self._kept:
            await asyncio.sleep(self.hold)
            try:
                await self._hand_back(db, stale_only=True)
            except Exception:  # they expire on their own; try again next round
                log.exception("could not hand back kept leases")

    def kept(self) -> int:
        return sum(len(leases) for leases in self._kept.values())

    async def _hand_back(self, db: Database, *, stale_only: bool) -> None:
        cutoff = time.monotonic() - self.hold
        going: list[Lease] = []
        # Chosen and removed before any await, so no lease is handed back twice or reused.
        for key, leases in list(self._kept.items()):
            staying = [k for k in leases if stale_only and k.since > cutoff]
            going += [k.lease for k in leases if not (stale_only and k.since > cutoff)]
            leases[:] = staying
            if not staying:
                del self._kept[key]
        for lease in going:
            await release_slot(db, lease.key, lease.slot)
