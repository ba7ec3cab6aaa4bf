"""Moderation: reports, the actions taken on them (strikes), appeals, the audit log, and
instance-level blocks (domains, e-mail domains, IP ranges)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class ReportCategory:
    SPAM = "spam"
    LEGAL = "legal"
    VIOLATION = "violation"
    OTHER = "other"
    ALL = (SPAM, LEGAL, VIOLATION, OTHER)


class ActionKind:
    DISMISS = "dismiss"
    DELETE_POST = "delete_post"
    MARK_SENSITIVE = "mark_sensitive"
    ADD_CONTENT_WARNING = "add_content_warning"
    WARN = "warn"
    FREEZE = "freeze"
    LIMIT = "limit"
    SUSPEND = "suspend"
    ALL = (
        DISMISS,
        DELETE_POST,
        MARK_SENSITIVE,
        ADD_CONTENT_WARNING,
        WARN,
        FREEZE,
        LIMIT,
        SUSPEND,
    )
    ON_POSTS = (DELETE_POST, MARK_SENSITIVE, ADD_CONTENT_WARNING)
    ON_ACCOUNT = (FREEZE, LIMIT, SUSPEND)


class Severity:
    NOOP = "noop"
    LIMIT = "limit"
    SUSPEND = "suspend"
    ALL = (NOOP, LIMIT, SUSPEND)


class Report(IdMixin, Base):
    """A member (or a remote server, via Flag) asking moderators to look at an account."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_open", "action_taken_at", "created_at"),)

    # None for a report forwarded by another server (its instance actor is not an account).
    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None, index=True
    )
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # Post ids, not a join table: a deleted post stays named in the report's record.
    post_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(16), default=ReportCategory.OTHER)
    rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    forward: Mapped[bool] = mapped_column(Boolean, default=False)
    uri: Mapped[str | None] = mapped_column(Text, default=None, unique=True)
    origin_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    assigned_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    action_taken_at: Mapped[datetime | None] = mapped_column(default=None)
    action_taken_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    # What the reporter is told was decided.
    resolution: Mapped[str] = mapped_column(Text, default="")
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Strike(IdMixin, Base):
    """One moderation action on an account (Mastodon: an account warning), with the reason
    the member is told."""

    __tablename__ = "strikes"

    kind: Mapped[str] = mapped_column(String(32))
    target_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    moderator_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    report_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("reports.id", ondelete="SET NULL"), default=None, index=True
    )
    post_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    # What the action changed, so an upheld appeal can restore it.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reversed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appeal(IdMixin, Base):
    """A member's one appeal against a strike, decided by a moderator who did not strike."""

    __tablename__ = "appeals"

    strike_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("strikes.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    approved: Mapped[bool | None] = mapped_column(Boolean, default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLogEntry(IdMixin, Base):
    """Who did what to what, when and why. Append-only: no foreign keys (a deleted account
    must not rewrite history) and the ORM refuses updates and deletes."""

    __tablename__ = "audit_log"

    actor_id: Mapped[int] = mapped_column(BigInteger, index=True)
    actor_acct: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@event.listens_for(AuditLogEntry, "before_update")
@event.listens_for(AuditLogEntry, "before_delete")
def _append_only(*_: Any) -> None:
    raise RuntimeError("audit log entries are never changed or deleted")


class DomainBlock(IdMixin, Base):
    __tablename__ = "domain_blocks"

    domain: Mapped[str] = mapped_column(String(255), unique=True)
    severity: Mapped[str] = mapped_column(String(16), default=Severity.LIMIT)
    reject_media: Mapped[bool] = mapped_column(Boolean, default=False)
    reject_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    public_comment: Mapped[str] = mapped_column(Text, default="")
    private_comment: Mapped[str] = mapped_column(Text, default="")
    obfuscate: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailDomainBlock(IdMixin, Base):
    __tablename__ = "email_domain_blocks"

    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IpBlock(IdMixin, Base):
    __tablename__ = "ip_blocks"

    ip: Mapped[str] = mapped_column(String(64), unique=True)  # an address or CIDR range
    severity: Mapped[str] = mapped_column(String(32), default="sign_up_block")
    comment: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
