from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.errors import Conflict, Invalid, NotFound
from parley.domain.filters import queries, service
from parley.domain.filters.models import Filter, FilterKeyword
from parley.domain.filters.service import KeywordChange
from tests.unit.timelines.world import World


async def test_bad_filters_are_refused_and_nothing_is_written(world: World) -> None:
    alice = await world.account("alice")
    for kwargs in (
        {"title": "", "context": ["home"]},
        {"title": "x", "context": []},
        {"title": "x", "context": ["everywhere"]},
        {"title": "x", "context": ["home"], "action": "explode"},
        {"title": "x", "context": ["home"], "expires_in": 0},
        {"title": "x", "context": ["home"], "keywords": [KeywordChange(keyword="  ")]},
    ):
        with pytest.raises(Invalid):
            await world.run(service.create_filter, account=alice, **kwargs)
    assert await world.count(Filter) == 0
    assert await world.count(FilterKeyword) == 0


async def test_someone_elses_filter_is_not_found(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    f = await world.run(service.create_filter, account=alice, title="t", context=["home"])
    with pytest.raises(NotFound):
        await world.run(service.delete_filter, account=bob, filter_id=f.id)
    with pytest.raises(NotFound):
        await world.run(service.update_filter, account=bob, filter_id=f.id, title="mine")
    assert [x.title for x in await world.read(queries.list_filters, alice.id)] == ["t"]


async def test_keywords_are_added_changed_and_removed_through_attributes(world: World) -> None:
    alice = await world.account("alice")
    f = await world.run(
        service.create_filter,
        account=alice,
        title="t",
        context=["home"],
        keywords=[KeywordChange(keyword="cat"), KeywordChange(keyword="dog", whole_word=False)],
    )
    cat, dog = (await world.read(queries.keywords_of, [f.id]))[f.id]
    await world.run(
        service.update_filter,
        account=alice,
        filter_id=f.id,
        keywords=[
            KeywordChange(id=cat.id, keyword="kitten"),
            KeywordChange(id=dog.id, destroy=True),
        ],
    )
    (left,) = (await world.read(queries.keywords_of, [f.id]))[f.id]
    assert (left.keyword, left.whole_word) == ("kitten", True)


async def test_a_post_is_filtered_once_and_only_if_visible(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    post = await world.post(bob, "hi")
    f = await world.run(service.create_filter, account=alice, title="t", context=["home"])
    await world.run(service.add_filter_status, account=alice, filter_id=f.id, post_id=post.id)
    with pytest.raises(Conflict):
        await world.run(service.add_filter_status, account=alice, filter_id=f.id, post_id=post.id)
    with pytest.raises(NotFound):
        await world.run(service.add_filter_status, account=alice, filter_id=f.id, post_id=1)


async def test_expired_filters_are_not_active(world: World) -> None:
    alice = await world.account("alice")
    f = await world.run(
        service.create_filter,
        account=alice,
        title="t",
        context=["home"],
        expires_in=3600,
        keywords=[KeywordChange(keyword="cat")],
    )
    (active,) = await world.read(queries.active_filters, alice.id)
    assert active.keywords == (("cat", True),)
    async with world.runtime.db.transaction() as session:
        await session.execute(
            update(Filter).where(Filter.id == f.id).values(expires_at=utcnow() - timedelta(1))
        )
    assert await world.read(queries.active_filters, alice.id) == []
