from __future__ import annotations

import pytest

from parley.domain.errors import NotFound
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Visibility
from parley.domain.relationships import service as relationships
from parley.domain.tags import queries as tags
from parley.domain.tags.service import follow_tag, unfollow_tag
from parley.domain.timelines.queries import home_timeline
from tests.unit.timelines.world import World


async def test_a_followed_tag_brings_a_strangers_public_post_into_home(world: World) -> None:
    reader, stranger = await world.account("reader"), await world.account("stranger")
    await world.run(follow_tag, account=reader, name="#Cats")
    tagged = await world.post(stranger, "look", tags=["cats"])
    await world.post(stranger, "untagged")
    assert await world.ids(home_timeline, reader.id) == [tagged.id]


async def test_only_public_originals_arrive_through_a_tag(world: World) -> None:
    reader, stranger = await world.account("reader"), await world.account("stranger")
    await world.run(follow_tag, account=reader, name="cats")
    for visibility in (Visibility.UNLISTED, Visibility.FOLLOWERS, Visibility.MENTIONED):
        await world.post(stranger, "hidden", tags=["cats"], visibility=visibility)
    original = await world.post(world_author := await world.account("author"), tags=["dogs"])
    await world.echo(stranger, original)
    assert world_author.id != reader.id
    assert await world.ids(home_timeline, reader.id) == []


async def test_a_blocked_authors_tagged_post_stays_out(world: World) -> None:
    reader, stranger = await world.account("reader"), await world.account("stranger")
    await world.run(follow_tag, account=reader, name="cats")
    await world.run(relationships.block_account, actor=reader, target=stranger)
    await world.post(stranger, "meow", tags=["cats"])
    assert await world.ids(home_timeline, reader.id) == []


async def test_unfollowing_stops_new_posts_and_listing(world: World) -> None:
    reader, stranger = await world.account("reader"), await world.account("stranger")
    await world.run(follow_tag, account=reader, name="cats")
    await world.run(follow_tag, account=reader, name="cats")  # twice changes nothing
    followed = await world.read(tags.list_followed_tags, reader.id, PageRequest())
    assert [t.name for _c, t in followed] == ["cats"]
    await world.run(unfollow_tag, account=reader, name="CATS")
    await world.post(stranger, "meow", tags=["cats"])
    assert await world.ids(home_timeline, reader.id) == []
    assert await world.read(tags.list_followed_tags, reader.id, PageRequest()) == []


async def test_names_that_cannot_be_tags_are_not_found(world: World) -> None:
    reader = await world.account("reader")
    for name in ("", "#", "a b", "no-dash"):
        with pytest.raises(NotFound):
            await world.run(follow_tag, account=reader, name=name)
    with pytest.raises(NotFound):
        await world.run(unfollow_tag, account=reader, name="neverused")
