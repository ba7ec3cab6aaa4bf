"""How much each hashtag was used on each of the last days: Mastodon's tag `history`.

A use is a post with the tag that anyone may read (the anonymous visibility rule: public or
unlisted, author not suspended, not held), not an echo; `accounts` counts the distinct
authors. Days are UTC days, counted by when the post reached this server: post ids carry
their creation time (parley.db.ids), so one grouped query over the (tag_id, post_id) index
answers for a whole page of tags, with no per-row date functions that differ between SQLite
and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.ids import id_floor_for_ms
from parley.domain.posts.models import Post, PostTag
from parley.domain.posts.visibility import visible_to

DAYS = 7
DAY_MS = 86_400_000
# An id divided by this is its UTC day number since the epoch.
ID_DAY = id_floor_for_ms(DAY_MS)


@dataclass(frozen=True, slots=True)
class TagDay:
    day: datetime  # midnight UTC
    uses: int
    accounts: int


def _day_number(moment: datetime) -> int:
    return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() * 1000) // DAY_MS


async def tag_history(
    session: AsyncSession, tag_ids: list[int], *, days: int = DAYS, now: datetime | None = None
) -> dict[int, list[TagDay]]:
    """Each tag's last `days` days, today first; days without uses are there with zeros."""
    today = _day_number(now or utcnow())
    first = today - days + 1
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    if tag_ids:
        day = (PostTag.post_id // ID_DAY).label("day")
        rows = await session.execute(
            select(PostTag.tag_id, day, func.count(), func.count(distinct(Post.account_id)))
            .join(Post, Post.id == PostTag.post_id)
            .where(
                PostTag.tag_id.in_(tag_ids),
                PostTag.post_id >= id_floor_for_ms(first * DAY_MS),
                Post.echo_of_id.is_(None),
                visible_to(None),
            )
            .group_by(PostTag.tag_id, day)
        )
        for tag_id, number, uses, accounts in rows:
            counts[(int(tag_id), int(number))] = (int(uses), int(accounts))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return {
        tag_id: [
            TagDay(epoch + timedelta(days=number), *counts.get((tag_id, number), (0, 0)))
            for number in range(today, first - 1, -1)
        ]
        for tag_id in tag_ids
    }
