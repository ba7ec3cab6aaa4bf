"""Posts ("parleys"), their edits, mentions, hashtags and polls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class Visibility:
    PUBLIC = "public"
    UNLISTED = "unlisted"
    FOLLOWERS = "private"  # Mastodon's word for followers-only
    MENTIONED = "direct"  # mentioned people only
    ALL = (PUBLIC, UNLISTED, FOLLOWERS, MENTIONED)


class Post(IdMixin, Base):
    """A parley, a comment (in_reply_to_id set) or an echo (echo_of_id set, no text)."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_account_id_id", "account_id", "id"),
        Index("ix_posts_in_reply_to_id", "in_reply_to_id"),
        Index("ix_posts_echo_of_id", "echo_of_id"),
        # One echo per account and post, even when two requests race (NULLs are distinct,
        # so posts that are not echoes are unaffected).
        Index("uq_posts_account_id_echo_of_id", "account_id", "echo_of_id", unique=True),
        Index("ix_posts_quote_of_id", "quote_of_id"),
        Index("ix_posts_thread_id", "thread_id"),
        Index("ix_posts_local_public", "local", "visibility", "id"),
        Index("ix_posts_uri", "uri", unique=True),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    local: Mapped[bool] = mapped_column(Boolean, default=True)
    uri: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    # The text as written, and its HTML (auto-linked URLs, #tags, @mentions).
    text: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(String(1000), default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    in_reply_to_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="SET NULL"), default=None
    )
    in_reply_to_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    # The root of the conversation; equal to id for a post that starts one.
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    echo_of_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), default=None
    )
    quote_of_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="SET NULL"), default=None
    )
    replies_count: Mapped[int] = mapped_column(BigInteger, default=0)
    echoes_count: Mapped[int] = mapped_column(BigInteger, default=0)
    upvotes_count: Mapped[int] = mapped_column(BigInteger, default=0)
    quotes_count: Mapped[int] = mapped_column(BigInteger, default=0)
    has_media: Mapped[bool] = mapped_column(Boolean, default=False)
    has_poll: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    # Mastodon API Idempotency-Key and client app, when posted through the API.
    application: Mapped[str | None] = mapped_column(String(200), default=None)
    # Held for review by an automated flag (parley.domain.moderation.autoflag): seen by its
    # author only, not fanned out or federated until a moderator approves it.
    held: Mapped[bool] = mapped_column(Boolean, default=False)


class PostEdit(IdMixin, Base):
    """One version of a post, kept so readers can see the edit history."""

    __tablename__ = "post_edits"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(String(1000), default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    poll_options: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_account_id_post_id", "account_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )


class Tag(IdMixin, Base):
    __tablename__ = "tags"

    # Lower-cased name, without '#'. `display_name` keeps the first writer's casing.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostTag(Base):
    __tablename__ = "post_tags"
    __table_args__ = (Index("ix_post_tags_tag_id_post_id", "tag_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )


class Poll(IdMixin, Base):
    __tablename__ = "polls"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), unique=True
    )
    # [{"title": str, "votes_count": int}]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    # Totals stay hidden from everyone but the author until the poll ends.
    hide_totals: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    votes_count: Mapped[int] = mapped_column(BigInteger, default=0)
    voters_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set once the "poll ended" notifications have been sent.
    closed_notified_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollVote(IdMixin, Base):
    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "account_id", "choice"),)

    poll_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("polls.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    choice: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
