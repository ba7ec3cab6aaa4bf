"""Reads of media rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.media.models import MediaAttachment


async def list_post_media(session: AsyncSession, post_id: int) -> list[MediaAttachment]:
    """A post's attachments in their order."""
    rows = await session.scalars(
        select(MediaAttachment)
        .where(MediaAttachment.post_id == post_id)
        .order_by(MediaAttachment.position)
    )
    return list(rows)
