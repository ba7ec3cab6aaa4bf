"""The shared column types behave the same on SQLite and PostgreSQL (run the suite on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from parley.db.ids import new_id
from parley.domain.instance.models import Rule
from parley.jobs.models import Job
from parley.runtime import Runtime

# A snowflake from about 2^57: past the 32-bit range and past JavaScript's 2^53.
LATE_MS = 2_200_000_000_000


async def test_snowflake_ids_round_trip_exactly(runtime: Runtime) -> None:
    big = new_id(at_ms=LATE_MS)
    assert big > 2**56
    async with runtime.db.transaction() as session:
        session.add(Rule(id=big, text="be kind"))
    async with runtime.db.reader() as session:
        found = await session.scalar(select(Rule.id).where(Rule.id == big))
    assert found == big


async def test_default_ids_sort_in_insertion_order(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        rules = [Rule(text=f"rule {n}") for n in range(5)]
        for rule in rules:
            session.add(rule)
            await session.flush()
    async with runtime.db.reader() as session:
        ordered = (await session.scalars(select(Rule.text).order_by(Rule.id))).all()
    assert ordered == [f"rule {n}" for n in range(5)]


async def test_datetimes_come_back_aware_and_in_utc(runtime: Runtime) -> None:
    paris = timezone(timedelta(hours=1))
    written = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=paris)
    async with runtime.db.transaction() as session:
        job = Job(kind="test", payload={"n": 1}, run_at=written)
        session.add(job)
    async with runtime.db.reader() as session:
        run_at = await session.scalar(select(Job.run_at).where(Job.id == job.id))
    assert run_at is not None
    assert run_at.tzinfo is not None
    assert run_at.utcoffset() == timedelta(0)
    assert run_at == written
    assert run_at.hour == 11


async def test_datetime_comparisons_happen_in_utc(runtime: Runtime) -> None:
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    async with runtime.db.transaction() as session:
        for minutes in (0, 10, 20):
            session.add(Job(kind="test", payload={}, run_at=base + timedelta(minutes=minutes)))
    cutoff = (base + timedelta(minutes=15)).astimezone(timezone(timedelta(hours=-5)))
    async with runtime.db.reader() as session:
        due = (await session.scalars(select(Job.run_at).where(Job.run_at <= cutoff))).all()
    assert sorted(due) == [base, base + timedelta(minutes=10)]


async def test_naive_datetimes_are_refused(runtime: Runtime) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with runtime.db.transaction() as session:
            session.add(Job(kind="test", payload={}, run_at=datetime(2026, 1, 1)))  # noqa: DTZ001


async def test_json_columns_round_trip(runtime: Runtime) -> None:
    payload = {"text": "héllo ✓", "ids": [new_id(at_ms=LATE_MS)], "nested": {"ok": True}}
    async with runtime.db.transaction() as session:
        job = Job(kind="test", payload=payload)
        session.add(job)
    async with runtime.db.reader() as session:
        stored = await session.scalar(select(Job.payload).where(Job.id == job.id))
    assert stored == payload
