from __future__ import annotations

from typing import Any

import pytest

from parley.domain.errors import Invalid, NotFound
from parley.domain.pagination import PageRequest
from parley.domain.relationships import service as relationships
from parley.domain.timelines import lists
from parley.domain.timelines.models import List, ListMember, ReplyPolicy
from parley.domain.timelines.queries import list_timeline
from tests.unit.timelines.world import World


async def test_create_rename_and_delete_a_list(world: World) -> None:
    alice = await world.account("alice")
    created = await world.run(lists.create_list, owner=alice, title="  Friends ")
    assert created.title == "Friends"
    assert created.replies_policy == ReplyPolicy.LIST
    await world.run(
        lists.update_list, owner=alice, list_id=created.id, title="Pals", exclusive=True
    )
    [found] = await world.read(lists.list_lists, alice.id)
    assert (found.title, found.exclusive, found.replies_policy) == ("Pals", True, "list")
    await world.run(lists.delete_list, owner=alice, list_id=created.id)
    assert await world.read(lists.list_lists, alice.id) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"title": "ok", "replies_policy": "everyone"}, "replies_policy"),
    ],
)
async def test_bad_list_input_is_invalid_and_changes_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    alice = await world.account("alice")
    with pytest.raises(Invalid) as caught:
        await world.run(lists.create_list, owner=alice, **changes)
    assert caught.value.field == field
    assert await world.count(List) == 0
    kept = await world.run(lists.create_list, owner=alice, title="Kept")
    with pytest.raises(Invalid):
        await world.run(lists.update_list, owner=alice, list_id=kept.id, **changes)
    assert (await world.read(lists.get_list, alice.id, kept.id)).title == "Kept"


async def test_someone_elses_list_is_not_found_for_every_use(world: World) -> None:
    alice, mallory = await world.account("alice"), await world.account("mallory")
    await world.follow(mallory, alice)
    mine = await world.run(lists.create_list, owner=alice, title="Mine")
    commands: list[tuple[Any, dict[str, Any]]] = [
        (lists.update_list, {"title": "Taken"}),
        (lists.delete_list, {}),
        (lists.add_list_members, {"account_ids": [alice.id]}),
        (lists.remove_list_members, {"account_ids": [alice.id]}),
    ]
    for command, extra in commands:
        with pytest.raises(NotFound):
            await world.run(command, owner=mallory, list_id=mine.id, **extra)
    with pytest.raises(NotFound):
        await world.read(lists.get_list, mallory.id, mine.id)
    with pytest.raises(NotFound):
        await world.read(lists.list_members, mallory.id, mine.id, PageRequest())
    with pytest.raises(NotFound):
        await world.read(list_timeline, mallory.id, mine.id, PageRequest())
    with pytest.raises(NotFound):
        await world.read(list_timeline, alice.id, 404, PageRequest())
    assert (await world.read(lists.get_list, alice.id, mine.id)).title == "Mine"


async def test_only_followed_accounts_can_be_added_all_or_nothing(world: World) -> None:
    alice, bob, carol = [await world.account(n) for n in ("alice", "bob", "carol")]
    await world.follow(alice, bob)
    friends = await world.run(lists.create_list, owner=alice, title="Friends")
    with pytest.raises(Invalid):
        await world.run(
            lists.add_list_members, owner=alice, list_id=friends.id, account_ids=[bob.id, carol.id]
        )
    assert await world.count(ListMember) == 0
    for _ in range(2):  # adding twice is a no-op
        await world.run(
            lists.add_list_members, owner=alice, list_id=friends.id, account_ids=[bob.id]
        )
    members = await world.read(lists.list_members, alice.id, friends.id, PageRequest())
    assert [(cursor, account.id) for cursor, account in members] == [(bob.id, bob.id)]
    assert [x.id for x in await world.read(lists.lists_containing, alice.id, bob.id)] == [
        friends.id
    ]
    await world.run(
        lists.remove_list_members, owner=alice, list_id=friends.id, account_ids=[bob.id]
    )
    assert await world.count(ListMember) == 0


async def test_unfollowing_takes_an_account_off_the_followers_lists(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    friends = await world.run(lists.create_list, owner=alice, title="Friends")
    await world.run(lists.add_list_members, owner=alice, list_id=friends.id, account_ids=[bob.id])
    await world.run(relationships.unfollow_account, follower=alice, target=bob)
    assert await world.count(ListMember) == 0


async def test_list_timeline_shows_members_posts_and_echoes_only(world: World) -> None:
    alice, bob, carol = [await world.account(n) for n in ("alice", "bob", "carol")]
    await world.follow(alice, bob)
    await world.follow(alice, carol)
    friends = await world.run(lists.create_list, owner=alice, title="Friends")
    await world.run(lists.add_list_members, owner=alice, list_id=friends.id, account_ids=[bob.id])
    by_bob = await world.post(bob, "bob")
    await world.post(carol, "carol")
    echo = await world.echo(bob, await world.post(carol, "echoed"))
    assert await world.ids(list_timeline, alice.id, friends.id) == [echo.id, by_bob.id]


@pytest.mark.parametrize(
    ("policy", "shown"),
    [
        (ReplyPolicy.FOLLOWED, {"thread", "to_owner", "to_member", "to_followed"}),
        (ReplyPolicy.LIST, {"thread", "to_owner", "to_member"}),
        (ReplyPolicy.NONE, {"thread", "to_owner"}),
    ],
)
async def test_list_replies_policy(world: World, policy: str, shown: set[str]) -> None:
    owner, bob, carol, dave = [await world.account(n) for n in ("owner", "bob", "carol", "dave")]
    for account in (bob, carol, dave):
        await world.follow(owner, account)
    chosen = await world.run(lists.create_list, owner=owner, title="L", replies_policy=policy)
    await world.run(
        lists.add_list_members, owner=owner, list_id=chosen.id, account_ids=[bob.id, carol.id]
    )
    top = await world.post(bob, "top")
    posts = {
        "thread": await world.post(bob, "thread", in_reply_to=top),
        "to_owner": await world.post(bob, "hi", in_reply_to=await world.post(owner, "q")),
        "to_member": await world.post(bob, "hey", in_reply_to=await world.post(carol, "q")),
        "to_followed": await world.post(bob, "yo", in_reply_to=await world.post(dave, "q")),
    }
    ids = set(await world.ids(list_timeline, owner.id, chosen.id))
    assert {name for name, post in posts.items() if post.id in ids} == shown
    assert top.id in ids
