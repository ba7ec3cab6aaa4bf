"""Idempotency-Key for new posts: a retried request returns the post the first one created."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.oauth.models import IdempotencyKey

# Mastodon remembers keys for an hour; a client retrying later means a new post.
KEY_TTL = timedelta(hours=1)
MAX_KEY = 200


async def find_post_for_key(session: AsyncSession, *, account_id: int, key: str) -> int | None:
    if not key or len(key) > MAX_KEY:
        return None
    return await session.scalar(
        select(IdempotencyKey.post_id).where(
            IdempotencyKey.account_id == account_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > utcnow() - KEY_TTL,
        )
    )


async def remember_key(session: AsyncSession, *, account_id: int, key: str, post_id: int) -> None:
    if not key or len(key) > MAX_KEY:
        return
    # An expired entry for the same key makes room for the new one.
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.account_id == account_id, IdempotencyKey.key == key
        )
    )
    session.add(IdempotencyKey(account_id=account_id, key=key, post_id=post_id))
    await session.flush()
