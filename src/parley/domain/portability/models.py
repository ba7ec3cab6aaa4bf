"""Imports a member started: CSV rows or a post archive, applied by a background job.

States: queued -> done (every row tried; `failures` lists the rows that could not be
imported) or -> failed (the job gave up; `error` says why). `processed` counts rows done,
committed with them, so a retried job carries on where it stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class ImportState:
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


class ImportMode:
    MERGE = "merge"
    OVERWRITE = "overwrite"
    ALL = (MERGE, OVERWRITE)


class AccountImport(IdMixin, Base):
    __tablename__ = "account_imports"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # A CSV kind (parley.domain.portability.csv_formats.Kind) or "posts" for an archive.
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), default=ImportMode.MERGE)
    state: Mapped[str] = mapped_column(String(16), default=ImportState.QUEUED)
    file_name: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # A post archive waits in the media store under a key that is never served.
    archive_key: Mapped[str | None] = mapped_column(String(200), default=None)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
