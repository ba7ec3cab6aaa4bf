"""A media attachment: a file uploaded by a member (or described by a remote server).

States: processing -> ready, or processing -> failed. A local upload is unattached
(post_id NULL) until a post takes it; unattached uploads are deleted after a day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow

MAX_DESCRIPTION = 1500


class MediaKind:
    IMAGE = "image"
    GIFV = "gifv"
    VIDEO = "video"
    AUDIO = "audio"
    UNKNOWN = "unknown"


class MediaState:
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class MediaAttachment(IdMixin, Base):
    __tablename__ = "media_attachments"
    __table_args__ = (
        Index("ix_media_attachments_post_id", "post_id"),
        Index("ix_media_attachments_account_id_post_id", "account_id", "post_id"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    # SET NULL: a deleted post's files are removed with the other unattached uploads.
    post_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="SET NULL"), default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16), default=MediaKind.UNKNOWN)
    state: Mapped[str] = mapped_column(String(16), default=MediaState.PROCESSING)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    # Store keys (see parley.infra.storage); incoming_key is the raw upload until processed.
    incoming_key: Mapped[str | None] = mapped_column(String(200), default=None)
    file_key: Mapped[str | None] = mapped_column(String(200), default=None)
    small_key: Mapped[str | None] = mapped_column(String(200), default=None)
    content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    small_width: Mapped[int | None] = mapped_column(Integer, default=None)
    small_height: Mapped[int | None] = mapped_column(Integer, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    blurhash: Mapped[str | None] = mapped_column(String(100), default=None)
    focus_x: Mapped[float] = mapped_column(Float, default=0.0)
    focus_y: Mapped[float] = mapped_column(Float, default=0.0)
    description: Mapped[str] = mapped_column(Text, default="")
    # Remote media: the original address, and when a copy was last cached here.
    remote_url: Mapped[str | None] = mapped_column(Text, default=None)
    cached_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
