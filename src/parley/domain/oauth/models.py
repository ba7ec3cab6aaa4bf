"""OAuth applications, authorization codes, access tokens and API idempotency keys.

Secrets handed to clients (client secrets, codes, tokens) are stored only as SHA-256 digests:
a copy of the database does not let anyone act as a member or an app.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class OAuthApplication(IdMixin, Base):
    __tablename__ = "oauth_applications"

    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(Text, default=None)
    # Registered redirect URIs, one per line (urn:ietf:wg:oauth:2.0:oob shows the code).
    redirect_uris: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthAuthorizationCode(IdMixin, Base):
    """A one-time code issued by the consent page, exchanged at the token endpoint."""

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("oauth_applications.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    # PKCE (RFC 7636): the challenge and its method ("S256" or "plain"), when the client sent one.
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    code_challenge_method: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class OAuthAccessToken(IdMixin, Base):
    """A bearer token; `account_id` is None for an app-only (client_credentials) token."""

    __tablename__ = "oauth_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("oauth_applications.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), default=None, index=True
    )
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class IdempotencyKey(IdMixin, Base):
    """An Idempotency-Key a member's client sent with a new post, and the post it created."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("account_id", "key"),
        Index("ix_api_idempotency_keys_created_at", "created_at"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(200))
    post_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
