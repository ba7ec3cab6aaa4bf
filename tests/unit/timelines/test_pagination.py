from __future__ import annotations

from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post
from parley.domain.timelines.queries import home_timeline, local_timeline
from tests.unit.timelines.world import World


async def _seven_posts(world: World) -> tuple[int, list[Post]]:
    reader, author = await world.account("reader"), await world.account("author")
    await world.follow(reader, author)
    posts = [await world.post(author, f"post {i}") for i in range(7)]
    return reader.id, list(reversed(posts))  # newest first


async def test_walking_back_with_max_id_has_no_gaps_or_duplicates(world: World) -> None:
    reader_id, newest_first = await _seven_posts(world)
    seen: list[int] = []
    page = PageRequest(limit=3)
    while batch := await world.ids(home_timeline, reader_id, page=page):
        assert len(batch) <= 3
        seen += batch
        page = PageRequest(max_id=batch[-1], limit=3)
    assert seen == [p.id for p in newest_first]


async def test_walking_forward_with_min_id_has_no_gaps_or_duplicates(world: World) -> None:
    reader_id, newest_first = await _seven_posts(world)
    oldest_first = [p.id for p in reversed(newest_first)]
    seen: list[int] = []
    page = PageRequest(min_id=0, limit=3)
    while batch := await world.ids(home_timeline, reader_id, page=page):
        assert batch == sorted(batch, reverse=True)  # each page newest first
        seen = batch + seen
        page = PageRequest(min_id=batch[0], limit=3)
    assert seen == list(reversed(oldest_first))
    # min_id gives the items just after the point, since_id the newest above it.
    point = oldest_first[2]
    just_after = await world.ids(home_timeline, reader_id, page=PageRequest(min_id=point, limit=2))
    newest = await world.ids(home_timeline, reader_id, page=PageRequest(since_id=point, limit=2))
    assert just_after == [oldest_first[4], oldest_first[3]]
    assert newest == [oldest_first[6], oldest_first[5]]


async def test_max_id_and_since_id_bound_a_range(world: World) -> None:
    reader_id, newest_first = await _seven_posts(world)
    ids = [p.id for p in newest_first]
    between = PageRequest(max_id=ids[1], since_id=ids[5])
    assert await world.ids(home_timeline, reader_id, page=between) == ids[2:5]
    assert await world.ids(local_timeline, None, page=between) == ids[2:5]
