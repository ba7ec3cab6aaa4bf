"""A member's filters: keywords or particular posts to warn about or hide, per context."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class FilterContext:
    HOME = "home"  # home and lists
    NOTIFICATIONS = "notifications"
    PUBLIC = "public"  # local, federated and hashtag timelines
    THREAD = "thread"  # a conversation's view
    ACCOUNT = "account"  # profiles
    ALL = (HOME, NOTIFICATIONS, PUBLIC, THREAD, ACCOUNT)


class FilterAction:
    WARN = "warn"  # shown collapsed behind the filter's title
    HIDE = "hide"  # left out
    BLUR = "blur"  # media hidden behind a warning (Mastodon 4.4)
    ALL = (WARN, HIDE, BLUR)


class Filter(IdMixin, Base):
    __tablename__ = "filters"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    context: Mapped[list[str]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(16), default=FilterAction.WARN)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FilterKeyword(IdMixin, Base):
    __tablename__ = "filter_keywords"

    filter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("filters.id", ondelete="CASCADE"), index=True
    )
    keyword: Mapped[str] = mapped_column(String(200))
    whole_word: Mapped[bool] = mapped_column(Boolean, default=True)


class FilterStatus(IdMixin, Base):
    __tablename__ = "filter_statuses"
    __table_args__ = (UniqueConstraint("filter_id", "post_id"),)

    filter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("filters.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
