"""Notifications and read markers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class NotificationType:
    MENTION = "mention"
    COMMENT = "comment"  # a reply to one's post; the Mastodon API shows it as "mention"
    ECHO = "echo"
    QUOTE = "quote"
    UPVOTE = "upvote"
    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    POLL_ENDED = "poll"
    POST_EDITED = "update"
    MODERATION_WARNING = "moderation_warning"  # a moderator acted on the member's account
    ALL = (
        MENTION,
        COMMENT,
        ECHO,
        QUOTE,
        UPVOTE,
        FOLLOW,
        FOLLOW_REQUEST,
        POLL_ENDED,
        POST_EDITED,
        MODERATION_WARNING,
    )


class Notification(IdMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_account_id_id", "account_id", "id"),)

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    from_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(32))
    post_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), default=None
    )
    # The strike a moderation_warning is about (Mastodon's AccountWarning).
    strike_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("strikes.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Marker(Base):
    """The last item a member has read in a timeline ("home" or "notifications")."""

    __tablename__ = "markers"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timeline: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
