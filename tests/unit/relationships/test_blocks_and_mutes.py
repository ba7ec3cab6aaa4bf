from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid
from parley.domain.pagination import PageRequest
from parley.domain.relationships import queries
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Block, Follow, FollowRequest, Mute
from parley.domain.timelines import queries as timelines
from parley.domain.timelines.lists import add_list_members, create_list, lists_containing
from tests.unit.timelines.world import World


async def test_block_ends_follows_and_requests_both_ways_with_counts(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    carol = await world.account("carol", locked=True)
    await world.follow(alice, bob)
    await world.follow(bob, alice)
    await world.follow(alice, carol)  # a pending request
    await world.run(relationships.block_account, actor=bob, target=alice)
    await world.run(relationships.block_account, actor=carol, target=alice)
    assert await world.count(Follow) == 0
    assert await world.count(FollowRequest) == 0
    for account in (alice, bob):
        fresh = await world.fresh(account)
        assert (fresh.followers_count, fresh.following_count) == (0, 0)
    [rel] = await world.read(queries.get_relationships, alice.id, [bob.id])
    assert (rel.blocked_by, rel.blocking, rel.following, rel.followed_by) == (
        True,
        False,
        False,
        False,
    )


async def test_block_empties_each_home_of_the_other_and_is_idempotent(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    await world.follow(bob, alice)
    await world.post(alice, "from alice")
    await world.post(bob, "from bob", mentions=[alice])
    await world.run(relationships.block_account, actor=alice, target=bob)
    await world.run(relationships.block_account, actor=alice, target=bob)
    assert await world.count(Block) == 1
    alice_home = await world.read(timelines.home_timeline, alice.id, PageRequest())
    bob_home = await world.read(timelines.home_timeline, bob.id, PageRequest())
    assert {p.account_id for p in alice_home} == {alice.id}
    assert {p.account_id for p in bob_home} == {bob.id}


async def test_block_takes_the_blocked_off_the_blockers_lists(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    friends = await world.run(create_list, owner=alice, title="Friends")
    await world.run(add_list_members, owner=alice, list_id=friends.id, account_ids=[bob.id])
    await world.run(relationships.block_account, actor=alice, target=bob)
    assert await world.read(lists_containing, alice.id, bob.id) == []


async def test_unblock_lets_them_follow_again_but_restores_nothing(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    await world.run(relationships.block_account, actor=bob, target=alice)
    await world.run(relationships.unblock_account, actor=bob, target=alice)
    assert await world.count(Block) == 0
    assert await world.count(Follow) == 0
    assert await world.follow(alice, bob) == relationships.FOLLOWING


async def test_self_block_and_self_mute_are_invalid(world: World) -> None:
    alice = await world.account("alice")
    with pytest.raises(Invalid):
        await world.run(relationships.block_account, actor=alice, target=alice)
    with pytest.raises(Invalid):
        await world.run(relationships.mute_account, actor=alice, target=alice)
    assert await world.count(Block) == 0
    assert await world.count(Mute) == 0


async def test_negative_mute_duration_is_invalid(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    with pytest.raises(Invalid) as caught:
        await world.run(relationships.mute_account, actor=alice, target=bob, duration_seconds=-5)
    assert caught.value.field == "duration"
    assert await world.count(Mute) == 0


async def test_muting_again_updates_the_mute(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.run(relationships.mute_account, actor=alice, target=bob, duration_seconds=60)
    await world.run(relationships.mute_account, actor=alice, target=bob, hide_notifications=False)
    [mute] = await world.rows(Mute)
    assert mute.expires_at is None
    assert mute.hide_notifications is False
    [rel] = await world.read(queries.get_relationships, alice.id, [bob.id])
    assert (rel.muting, rel.muting_notifications) == (True, False)


async def test_an_expired_mute_counts_nowhere(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.run(relationships.mute_account, actor=alice, target=bob, duration_seconds=60)
    assert [a.id for _, a in await world.read(queries.list_mutes, alice.id, PageRequest())] == [
        bob.id
    ]
    await world.expire_mutes()
    assert await world.read(queries.list_mutes, alice.id, PageRequest()) == []
    assert await world.read(queries.find_mute, alice.id, bob.id) is None
    [rel] = await world.read(queries.get_relationships, alice.id, [bob.id])
    assert rel.muting is False


async def test_unmute_and_unblock_of_nothing_do_nothing(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.run(relationships.unmute_account, actor=alice, target=bob)
    await world.run(relationships.unblock_account, actor=alice, target=bob)
    assert await world.read(queries.is_blocked_either_way, alice.id, bob.id) is False


async def test_block_list_is_newest_first(world: World) -> None:
    alice = await world.account("alice")
    others = [await world.account(name) for name in ("bob", "carol")]
    for other in others:
        await world.run(relationships.block_account, actor=alice, target=other)
    blocked = await world.read(queries.list_blocks, alice.id, PageRequest())
    assert [a.id for _, a in blocked] == [others[1].id, others[0].id]
    assert await world.read(queries.is_blocked_either_way, others[0].id, alice.id) is True


async def test_active_mute_condition_matches_live_mutes_only(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    quiet = await world.account("quiet")
    await world.run(relationships.mute_account, actor=alice, target=bob)
    await world.run(relationships.mute_account, actor=alice, target=quiet, hide_notifications=False)

    async def muted(session: AsyncSession, *, notifications: bool = False) -> set[int]:
        condition = queries.active_mute_condition(alice.id, Account.id, notifications=notifications)
        return set((await session.scalars(select(Account.id).where(condition))).all())

    assert await world.read(muted) == {bob.id, quiet.id}
    assert await world.read(muted, notifications=True) == {bob.id}
    await world.expire_mutes()
    assert await world.read(muted) == set()
