"""Accounts (local and remote members), local users' credentials and web sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class Account(IdMixin, Base):
    """A member: local when `domain` is None, otherwise a remote actor."""

    __tablename__ = "accounts"
    __table_args__ = (
        # NULLs are distinct in unique constraints, so local names need their own index.
        Index(
            "uq_accounts_local_username",
            "username_lower",
            unique=True,
            sqlite_where=text("domain IS NULL"),
            postgresql_where=text("domain IS NULL"),
        ),
        Index("uq_accounts_remote_username", "username_lower", "domain", unique=True),
        Index("ix_accounts_uri", "uri", unique=True),
        # A server's accounts: domain blocks (instance and member) look them up on every read.
        Index("ix_accounts_domain", "domain"),
    )

    username: Mapped[str] = mapped_column(String(64))
    username_lower: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(255), default=None)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    # The bio as the member typed it, and as rendered HTML (links, mentions, tags).
    note: Mapped[str] = mapped_column(Text, default="")
    note_html: Mapped[str] = mapped_column(Text, default="")
    # Up to four profile fields: [{"name": ..., "value": ..., "value_html": ...}]
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True)
    bot: Mapped[bool] = mapped_column(Boolean, default=False)
    avatar_url: Mapped[str | None] = mapped_column(Text, default=None)
    header_url: Mapped[str | None] = mapped_column(Text, default=None)
    # ActivityPub identity. For local accounts these are derived from the instance domain.
    uri: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    inbox_url: Mapped[str | None] = mapped_column(Text, default=None)
    shared_inbox_url: Mapped[str | None] = mapped_column(Text, default=None)
    outbox_url: Mapped[str | None] = mapped_column(Text, default=None)
    followers_url: Mapped[str | None] = mapped_column(Text, default=None)
    public_key_pem: Mapped[str | None] = mapped_column(Text, default=None)
    public_key_id: Mapped[str | None] = mapped_column(Text, default=None)
    private_key_pem: Mapped[str | None] = mapped_column(Text, default=None)
    moved_to_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    # When this (local) account last moved out: Move out is refused again within 30 days.
    moved_at: Mapped[datetime | None] = mapped_column(default=None)
    also_known_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Counters kept by the services that change them (read on every profile and timeline).
    followers_count: Mapped[int] = mapped_column(BigInteger, default=0)
    following_count: Mapped[int] = mapped_column(BigInteger, default=0)
    posts_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_post_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    # Indexed: public timelines look up the (few) limited accounts on every read.
    silenced_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # Frozen by a moderator: may sign in and read, but not write or interact.
    frozen_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def is_local(self) -> bool:
        return self.domain is None

    def acct(self) -> str:
        """`username` for local accounts, `username@domain` for remote ones."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


class Role:
    OWNER = "owner"
    ADMIN = "admin"
    MODERATOR = "moderator"
    MEMBER = "member"
    ALL = (OWNER, ADMIN, MODERATOR, MEMBER)


class User(IdMixin, Base):
    """The sign-in side of a local account."""

    __tablename__ = "users"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    # Two-factor sign-in: TOTP secret (set once confirmed) and hashed one-time recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rules_accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why they want to join (asked when sign-ups need approval) and the invite they used.
    sign_up_reason: Mapped[str] = mapped_column(Text, default="")
    invite_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("invites.id", ondelete="SET NULL"), default=None
    )
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Preferences the web UI and the Mastodon API share.
    default_visibility: Mapped[str] = mapped_column(String(16), default="public")
    default_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    default_language: Mapped[str | None] = mapped_column(String(16), default=None)
    # Mastodon's reading:expand:media: "default" (hide sensitive), "show_all" or "hide_all".
    media_display: Mapped[str] = mapped_column(String(16), default="default")
    # Refuse posts whose attachments lack a description (alt text).
    require_media_description: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)


class WebSession(IdMixin, Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class PasswordReset(IdMixin, Base):
    """A pending password reset; the e-mailed token is stored hashed and expires."""

    __tablename__ = "password_resets"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Invite(IdMixin, Base):
    """An invitation link (/invite/<code>): sign-up without open registrations, a limited
    number of times, until it expires or its creator revokes it."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    max_uses: Mapped[int | None] = mapped_column(default=None)  # None: no limit
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
