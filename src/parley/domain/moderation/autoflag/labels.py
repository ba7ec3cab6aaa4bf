"""Labels on posts: what the automated rules found and what moderators decided.

`auto:<rule>` is written by the system when a rule fires (with its score); `mod:<action>`
when a moderator acts on a post (the existing moderation actions), `approved` / `rejected`
when a moderator decides on a held post. Moderators see them in the queue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.moderation.autoflag.models import LabelSource, PostLabel

APPROVED = "approved"
REJECTED = "rejected"


def auto_label(rule: str) -> str:
    return f"auto:{rule}"


def moderator_label(action: str) -> str:
    return f"mod:{action}"


async def add_label(
    session: AsyncSession,
    *,
    post_id: int,
    label: str,
    source: str = LabelSource.SYSTEM,
    account_id: int | None = None,
    score: float | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> PostLabel:
    row = PostLabel(
        post_id=post_id,
        label=label,
        source=source,
        account_id=account_id,
        score=score,
        note=note[:2000],
        details=details or {},
    )
    session.add(row)
    await session.flush()
    return row


async def label_moderator_action(
    session: AsyncSession,
    *,
    post_ids: Iterable[int],
    action: str,
    moderator_id: int,
    reason: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a moderator's action on each post it applied to."""
    for post_id in dict.fromkeys(post_ids):
        await add_label(
            session,
            post_id=post_id,
            label=moderator_label(action),
            source=LabelSource.MODERATOR,
            account_id=moderator_id,
            note=reason,
            details=details,
        )


async def labels_for(session: AsyncSession, post_ids: Iterable[int]) -> dict[int, list[PostLabel]]:
    """Each post's labels, oldest first."""
    ids = list(dict.fromkeys(post_ids))
    found: dict[int, list[PostLabel]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(PostLabel).where(PostLabel.post_id.in_(ids)).order_by(PostLabel.id)
    )
    for row in rows:
        found[row.post_id].append(row)
    return found


async def has_label(session: AsyncSession, post_id: int, label: str) -> bool:
    found = await session.scalar(
        select(PostLabel.id).where(PostLabel.post_id == post_id, PostLabel.label == label).limit(1)
    )
    return found is not None
