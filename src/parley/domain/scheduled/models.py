"""Posts written now and published later by a job at `scheduled_at`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class ScheduledPost(IdMixin, Base):
    __tablename__ = "scheduled_posts"
    __table_args__ = (Index("ix_scheduled_posts_account_id_id", "account_id", "id"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    scheduled_at: Mapped[datetime] = mapped_column()
    # create_post's arguments as given (see service.ScheduledParams), kept as JSON so the
    # post is written by the same service, with the same checks, when its time comes.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
