"""Home feeds (fanned out on write) and lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class FeedEntry(Base):
    """Post `post_id` is in `account_id`'s home timeline.

    Written when the post is created (one INSERT ... SELECT over the author's followers), so a
    new post is in every follower's home at once and reading a home page is one index range.
    """

    __tablename__ = "feed_entries"
    __table_args__ = (
        # Unfollow, block and list timelines select by (account, author); the author alone
        # (suspension, deletion) uses the same index's prefix.
        Index("ix_feed_entries_author_id_account_id", "author_id", "account_id"),
        # On SQLite the table is its primary key B-tree: a home page is one range read.
        {"sqlite_with_rowid": False},
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    # Who put it there (the author, or the echoer): unfollow and block remove by this.
    author_id: Mapped[int] = mapped_column(BigInteger)


class ReplyPolicy:
    FOLLOWED = "followed"
    LIST = "list"
    NONE = "none"
    ALL = (FOLLOWED, LIST, NONE)


class List(IdMixin, Base):
    __tablename__ = "lists"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(100))
    replies_policy: Mapped[str] = mapped_column(String(16), default=ReplyPolicy.LIST)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListMember(Base):
    __tablename__ = "list_members"

    list_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
