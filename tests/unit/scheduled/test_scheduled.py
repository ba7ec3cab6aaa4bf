from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.errors import Invalid
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.scheduled.models import ScheduledPost
from parley.domain.scheduled.service import (
    ScheduledParams,
    publish_scheduled_post,
    schedule_post,
)
from tests.unit.timelines.world import World


async def _schedule(world: World, author: object, **params: object) -> ScheduledPost:
    row: ScheduledPost = await world.run(
        schedule_post,
        ctx=world.runtime.ctx,
        author=author,
        scheduled_at=utcnow() + timedelta(minutes=10),
        params=ScheduledParams(**params),  # type: ignore[arg-type]
    )
    return row


async def _publish(world: World, row: ScheduledPost) -> int | None:
    result: int | None = await world.run(
        publish_scheduled_post, ctx=world.runtime.ctx, scheduled_id=row.id
    )
    return result


async def _make_due(world: World) -> None:
    async with world.runtime.db.transaction() as session:
        await session.execute(
            update(ScheduledPost).values(scheduled_at=utcnow() - timedelta(seconds=1))
        )


async def test_a_job_before_the_time_publishes_nothing(world: World) -> None:
    alice = await world.account("alice")
    row = await _schedule(world, alice, text="later")
    assert await _publish(world, row) is None
    assert await world.count(ScheduledPost) == 1
    await _make_due(world)
    post_id = await _publish(world, row)
    assert post_id is not None
    assert await world.count(ScheduledPost) == 0
    assert await _publish(world, row) is None  # a second job changes nothing
    assert await world.count(Post) == 1


async def test_a_reply_whose_parent_is_gone_is_dropped(world: World) -> None:
    alice = await world.account("alice")
    parent = await world.post(alice, "parent")
    row = await _schedule(world, alice, text="reply", in_reply_to_id=parent.id)
    await world.run(posts.delete_post, actor=alice, post_id=parent.id)
    await _make_due(world)
    assert await _publish(world, row) is None
    assert await world.count(ScheduledPost) == 0


async def test_too_soon_and_invalid_posts_are_refused(world: World) -> None:
    alice = await world.account("alice")
    with pytest.raises(Invalid, match="must be in the future"):
        await world.run(
            schedule_post,
            ctx=world.runtime.ctx,
            author=alice,
            scheduled_at=utcnow() + timedelta(minutes=4),
            params=ScheduledParams(text="hi"),
        )
    with pytest.raises(Invalid):
        await _schedule(world, alice, text="")
    assert await world.count(ScheduledPost) == 0
