"""The hot reads walk an index in order: no full scan, no sort of every candidate (SQLite)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event

from parley.db.engine import is_sqlite
from parley.domain.notifications.queries import list_notifications
from parley.domain.pagination import PageRequest
from parley.domain.timelines import queries as timelines
from tests.unit.timelines.world import World


async def _plan(world: World, query: Callable[..., Awaitable[Any]], *args: Any) -> list[str]:
    """EXPLAIN QUERY PLAN of the last statement `query` runs."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    engine = world.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        await world.read(query, *args, PageRequest(max_id=2**62))
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = seen[-1]
    async with world.runtime.db.engine.connect() as connection:
        rows = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[3] for row in rows.all()]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("home", "SEARCH feed_entries USING PRIMARY KEY (account_id=? AND post_id<?)"),
        ("local", "USING INDEX ix_posts_local_public (local=? AND visibility=? AND id<?)"),
        ("profile", "USING INDEX ix_posts_account_id_id (account_id=? AND id<?)"),
        ("tag", "USING COVERING INDEX ix_post_tags_tag_id_post_id (tag_id=? AND post_id<?)"),
        ("notifications", "USING INDEX ix_notifications_account_id_id (account_id=? AND id<?)"),
    ],
)
async def test_timeline_reads_walk_their_index_without_sorting(
    world: World, name: str, expected: str
) -> None:
    if not is_sqlite(world.runtime.db.url):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    reader, author = await world.account("reader"), await world.account("author")
    await world.follow(reader, author)
    await world.post(author, "#topic", tags=["topic"])
    query, args = {
        "home": (timelines.home_timeline, (reader.id,)),
        "local": (timelines.local_timeline, (reader.id,)),
        "profile": (timelines.profile_timeline, (reader.id, author.id)),
        "tag": (timelines.tag_timeline, (reader.id, "topic")),
        "notifications": (list_notifications, (author.id,)),
    }[name]
    plan = await _plan(world, query, *args)
    assert expected in plan[0]
    assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan)
    assert not any(step.startswith("SCAN") and "anon" not in step for step in plan), plan
