from __future__ import annotations

from typing import Any

from sqlalchemy import event

from parley.domain.pagination import PageRequest
from parley.domain.relationships import queries
from parley.domain.relationships import service as relationships
from tests.unit.timelines.world import World


async def test_relationships_describe_every_side_in_the_order_asked(world: World) -> None:
    me = await world.account("me")
    friend, fan, enemy, bore = [await world.account(n) for n in ("friend", "fan", "enemy", "bore")]
    locked = await world.account("locked", locked=True)
    await world.follow(me, friend, notify=True)
    await world.follow(friend, me)
    await world.follow(fan, me)
    await world.follow(me, locked, show_echoes=False)
    await world.run(relationships.block_account, actor=enemy, target=me)
    await world.run(relationships.mute_account, actor=me, target=bore, hide_notifications=False)
    asked = [locked.id, bore.id, enemy.id, fan.id, friend.id, friend.id]
    found = {r.id: r for r in await world.read(queries.get_relationships, me.id, asked)}
    assert [r.id for r in await world.read(queries.get_relationships, me.id, asked)] == [
        locked.id,
        bore.id,
        enemy.id,
        fan.id,
        friend.id,
    ]
    assert found[friend.id] == queries.Relationship(
        id=friend.id, following=True, showing_echoes=True, notifying=True, followed_by=True
    )
    assert found[fan.id] == queries.Relationship(id=fan.id, followed_by=True)
    assert found[enemy.id] == queries.Relationship(id=enemy.id, blocked_by=True)
    assert found[bore.id] == queries.Relationship(id=bore.id, muting=True)
    assert found[locked.id] == queries.Relationship(id=locked.id, requested=True)


async def test_relationships_take_five_queries_whatever_the_number_of_accounts(
    world: World,
) -> None:
    me = await world.account("me")
    others = [await world.account(f"other{i}") for i in range(6)]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = world.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = await world.read(queries.get_relationships, me.id, [o.id for o in others])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(result) == 6
    assert len(statements) == 5  # follows, requests, blocks, mutes, domain blocks
    assert await world.read(queries.get_relationships, me.id, []) == []


async def test_followers_are_hidden_from_a_viewer_the_account_blocks(world: World) -> None:
    alice, bob, carol = [await world.account(n) for n in ("alice", "bob", "carol")]
    await world.follow(carol, alice)
    await world.run(relationships.block_account, actor=alice, target=bob)
    page = PageRequest()
    assert await world.read(queries.list_followers, bob.id, alice.id, page) == []
    assert await world.read(queries.list_following, bob.id, alice.id, page) == []
    visible = await world.read(queries.list_followers, None, alice.id, page)
    assert [a.id for _, a in visible] == [carol.id]
