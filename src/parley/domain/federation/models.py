"""Tables for federation: raw inbound activities, remote hosts' health, the instance key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class InboxActivity(IdMixin, Base):
    """An activity as it arrived, stored before it is applied.

    States: received (processed_at None) -> processed (error None) or -> failed (error set).
    The unique `activity_id` makes a replayed delivery a no-op.
    """

    __tablename__ = "inbox_activities"

    activity_id: Mapped[str] = mapped_column(Text, unique=True)
    actor_uri: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class RemoteHost(Base):
    """How deliveries to one remote host have gone lately.

    A host failing without a single success for days is marked unavailable: deliveries to it
    are dropped until `unavailable_until`, when one probe is let through; any success, or any
    activity received from the host, makes it available again.
    """

    __tablename__ = "remote_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    unavailable_until: Mapped[datetime | None] = mapped_column(default=None)


class InstanceKey(Base):
    """The instance actor's key pair (signed fetches); kept in the DB so backups carry it."""

    __tablename__ = "instance_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
