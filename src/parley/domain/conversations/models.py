"""What a member did with a conversation: read or removed it, up to which post."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base


class ConversationMark(Base):
    """Conversations themselves are derived from posts (see queries); this keeps only state.

    A newer post in the thread than `removed_up_to` brings a removed conversation back, and
    one newer than `read_up_to` (by someone else) makes it unread again, as in Mastodon.
    """

    __tablename__ = "conversation_marks"

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    read_up_to: Mapped[int] = mapped_column(BigInteger, default=0)
    removed_up_to: Mapped[int] = mapped_column(BigInteger, default=0)
