"""The durable job queue: a row per job, claimed with a lease so a killed worker's job returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class JobState:
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"  # gave up after the last retry


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    # A worker owns the job until this time; past it, another worker may take it again.
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class JobSlot(Base):
    """One of the few slots that bound how many jobs of one key (a remote host) run at once.

    A job holds a slot while it works, as a lease: a killed worker's slot frees itself at
    `locked_until`. Rows are made on first use, numbered 0..limit-1 per key.
    """

    __tablename__ = "job_slots"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
