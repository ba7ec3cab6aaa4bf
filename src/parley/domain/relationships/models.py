"""Follows, follow requests, blocks and mutes between accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


def _account_fk() -> Mapped[int]:
    return mapped_column(BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"))


class Follow(IdMixin, Base):
    """`account_id` follows `target_id`."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("account_id", "target_id"),
        # Followers pages are read newest first by follow id: (target_id, id) avoids a sort.
        Index("ix_follows_target_id_id", "target_id", "id"),
    )

    account_id: Mapped[int] = _account_fk()
    target_id: Mapped[int] = _account_fk()
    show_echoes: Mapped[bool] = mapped_column(Boolean, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    uri: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowRequest(IdMixin, Base):
    """A pending follow of a locked account."""

    __tablename__ = "follow_requests"
    __table_args__ = (
        UniqueConstraint("account_id", "target_id"),
        Index("ix_follow_requests_target_id_id", "target_id", "id"),
    )

    account_id: Mapped[int] = _account_fk()
    target_id: Mapped[int] = _account_fk()
    show_echoes: Mapped[bool] = mapped_column(Boolean, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    uri: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Block(IdMixin, Base):
    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("account_id", "target_id"),
        Index("ix_blocks_target_id", "target_id"),
    )

    account_id: Mapped[int] = _account_fk()
    target_id: Mapped[int] = _account_fk()
    uri: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mute(IdMixin, Base):
    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("account_id", "target_id"),)

    account_id: Mapped[int] = _account_fk()
    target_id: Mapped[int] = _account_fk()
    hide_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountDomainBlock(IdMixin, Base):
    """A member hiding a whole remote server (Mastodon's user-level domain block)."""

    __tablename__ = "account_domain_blocks"
    __table_args__ = (UniqueConstraint("account_id", "domain"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
