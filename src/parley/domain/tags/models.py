"""Hashtags a member follows: their public posts come into the member's home."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, utcnow


class TagFollow(Base):
    __tablename__ = "tag_follows"
    # Fan-out asks "who follows these tags?": tag first.
    __table_args__ = (Index("ix_tag_follows_tag_id_account_id", "tag_id", "account_id"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
