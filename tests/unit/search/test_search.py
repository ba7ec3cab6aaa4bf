from __future__ import annotations

from sqlalchemy import update

from parley.domain.accounts.models import Account
from parley.domain.posts.models import Visibility
from parley.domain.relationships import service as relationships
from parley.domain.search.queries import like_pattern, search_posts, search_tags
from tests.unit.timelines.world import World


async def _found(world: World, viewer: Account, query: str, **kwargs: object) -> list[int]:
    return [p.id for p in await world.read(search_posts, viewer.id, query, **kwargs)]


async def test_followers_only_post_never_shows_up_for_a_stranger(world: World) -> None:
    author, follower = await world.account("author"), await world.account("follower")
    stranger = await world.account("stranger")
    await world.follow(follower, author)
    secret = await world.post(author, "secret walrus", visibility=Visibility.FOLLOWERS)
    assert await _found(world, stranger, "walrus") == []
    assert await _found(world, follower, "walrus") == [secret.id]
    assert await _found(world, author, "WALRUS") == [secret.id]


async def test_strangers_find_only_public_posts_of_discoverable_accounts(world: World) -> None:
    author, stranger = await world.account("author"), await world.account("stranger")
    public = await world.post(author, "walrus in public")
    await world.post(author, "walrus unlisted", visibility=Visibility.UNLISTED)
    await world.post(author, "walrus direct", visibility=Visibility.MENTIONED)
    assert await _found(world, stranger, "walrus") == [public.id]
    async with world.runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == author.id).values(discoverable=False)
        )
    assert await _found(world, stranger, "walrus") == []


async def test_blocked_and_muted_authors_are_not_found(world: World) -> None:
    author, viewer = await world.account("author"), await world.account("viewer")
    await world.post(author, "walrus")
    await world.run(relationships.mute_account, actor=viewer, target=author)
    assert await _found(world, viewer, "walrus") == []


async def test_like_wildcards_in_the_query_match_literally(world: World) -> None:
    author = await world.account("author")
    literal = await world.post(author, "100% sure")
    await world.post(author, "100 sure")
    assert await _found(world, author, "100%") == [literal.id]
    assert like_pattern("a_b\\") == "%a\\_b\\\\%"


async def test_account_following_offset_and_limit(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    viewer = await world.account("viewer")
    a1 = await world.post(alice, "walrus one")
    a2 = await world.post(alice, "walrus two")
    b1 = await world.post(bob, "walrus three")
    assert await _found(world, viewer, "walrus", account_id=alice.id) == [a2.id, a1.id]
    assert await _found(world, viewer, "walrus", limit=1, offset=1) == [a2.id]
    await world.follow(viewer, bob)
    assert await _found(world, viewer, "walrus", following=True) == [b1.id]


async def test_hashtags_are_found_by_prefix(world: World) -> None:
    author = await world.account("author")
    await world.post(author, "hi", tags=["cats", "catalog", "dogs"])
    found = await world.read(search_tags, "#CAT")
    assert [t.name for t in found] == ["catalog", "cats"]
    assert await world.read(search_tags, "%") == []
    assert await world.read(search_tags, "  ") == []
