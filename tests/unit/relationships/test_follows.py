from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.events import JOB_PREFIX, Event
from parley.domain.notifications.models import NotificationType
from parley.domain.notifications.queries import list_notifications
from parley.domain.pagination import PageRequest
from parley.domain.relationships import queries
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow, FollowRequest
from parley.domain.timelines import queries as timelines
from parley.domain.timelines.models import FeedEntry
from parley.jobs.models import Job
from tests.unit.timelines.world import World


async def test_following_an_open_account_counts_notifies_and_backfills_home(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    older = await world.post(bob, "written before the follow")
    assert await world.follow(alice, bob) == relationships.FOLLOWING
    assert (await world.fresh(alice)).following_count == 1
    assert (await world.fresh(bob)).followers_count == 1
    assert await world.ids(timelines.home_timeline, alice.id) == [older.id]
    notes = await world.read(list_notifications, bob.id, PageRequest())
    assert [(n.type, n.from_account_id) for n in notes] == [(NotificationType.FOLLOW, alice.id)]


async def test_following_again_updates_options_without_duplicating(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.post(bob)
    await world.follow(alice, bob)
    assert await world.follow(alice, bob, show_echoes=False, notify=True) == "following"
    assert await world.count(Follow, Follow.account_id == alice.id) == 1
    assert (await world.fresh(bob)).followers_count == 1
    assert await world.count(FeedEntry, FeedEntry.account_id == alice.id) == 1
    [rel] = await world.read(queries.get_relationships, alice.id, [bob.id])
    assert (rel.following, rel.showing_echoes, rel.notifying) == (True, False, True)


async def test_self_follow_is_invalid_and_changes_nothing(world: World) -> None:
    alice = await world.account("alice")
    with pytest.raises(Invalid):
        await world.follow(alice, alice)
    assert await world.count(Follow) == 0
    assert (await world.fresh(alice)).following_count == 0


@pytest.mark.parametrize("blocker", ["follower", "target"])
async def test_follow_is_forbidden_when_either_side_blocks(world: World, blocker: str) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    actor, target = (alice, bob) if blocker == "follower" else (bob, alice)
    await world.run(relationships.block_account, actor=actor, target=target)
    with pytest.raises(Forbidden):
        await world.follow(alice, bob)
    assert await world.count(Follow) == 0
    assert await world.count(FollowRequest) == 0
    assert (await world.fresh(bob)).followers_count == 0


async def test_locked_account_gets_a_request_and_accepting_it_makes_a_follow(
    world: World,
) -> None:
    alice, carol = await world.account("alice"), await world.account("carol", locked=True)
    private = await world.post(carol, "for followers", visibility="private")
    assert await world.follow(alice, carol) == relationships.REQUESTED
    assert await world.count(Follow) == 0
    assert await world.ids(timelines.home_timeline, alice.id) == []
    requests = await world.read(queries.list_follow_requests, carol.id, PageRequest())
    assert [account.id for _, account in requests] == [alice.id]
    [rel] = await world.read(queries.get_relationships, carol.id, [alice.id])
    assert (rel.requested_by, rel.followed_by) == (True, False)
    notes = await world.read(list_notifications, carol.id, PageRequest())
    assert [n.type for n in notes] == [NotificationType.FOLLOW_REQUEST]

    await world.run(relationships.accept_follow_request, target=carol, follower_id=alice.id)
    assert await world.count(FollowRequest) == 0
    assert await world.read(list_notifications, carol.id, PageRequest()) == []
    assert (await world.fresh(carol)).followers_count == 1
    assert await world.ids(timelines.home_timeline, alice.id) == [private.id]
    [rel] = await world.read(queries.get_relationships, alice.id, [carol.id])
    assert (rel.following, rel.requested) == (True, False)


async def test_rejecting_a_request_leaves_no_follow(world: World) -> None:
    alice, carol = await world.account("alice"), await world.account("carol", locked=True)
    await world.follow(alice, carol)
    await world.run(relationships.reject_follow_request, target=carol, follower_id=alice.id)
    assert await world.count(FollowRequest) == 0
    assert await world.count(Follow) == 0
    assert (await world.fresh(carol)).followers_count == 0


@pytest.mark.parametrize(
    "command", [relationships.accept_follow_request, relationships.reject_follow_request]
)
async def test_answering_a_request_that_does_not_exist_is_not_found(
    world: World, command: object
) -> None:
    alice, carol = await world.account("alice"), await world.account("carol", locked=True)
    with pytest.raises(NotFound):
        await world.run(command, target=carol, follower_id=alice.id)  # type: ignore[arg-type]
    assert await world.count(Follow) == 0


async def test_unfollow_removes_the_follow_the_counts_and_home_entries(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    await world.post(bob, "one")
    await world.post(bob, "two")
    assert len(await world.ids(timelines.home_timeline, alice.id)) == 2
    await world.run(relationships.unfollow_account, follower=alice, target=bob)
    assert await world.count(Follow) == 0
    assert (await world.fresh(alice)).following_count == 0
    assert (await world.fresh(bob)).followers_count == 0
    assert await world.ids(timelines.home_timeline, alice.id) == []
    assert await world.read(list_notifications, bob.id, PageRequest()) == []
    await world.post(bob, "three")
    assert await world.ids(timelines.home_timeline, alice.id) == []


async def test_unfollow_withdraws_a_pending_request(world: World) -> None:
    alice, carol = await world.account("alice"), await world.account("carol", locked=True)
    await world.follow(alice, carol)
    await world.run(relationships.unfollow_account, follower=alice, target=carol)
    assert await world.count(FollowRequest) == 0
    assert await world.read(list_notifications, carol.id, PageRequest()) == []


async def test_remove_follower_ends_their_follow(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    await world.post(bob)
    await world.run(relationships.remove_follower, account=bob, follower_id=alice.id)
    assert await world.count(Follow) == 0
    assert (await world.fresh(bob)).followers_count == 0
    assert (await world.fresh(alice)).following_count == 0
    assert await world.ids(timelines.home_timeline, alice.id) == []


async def test_follower_and_following_lists_are_newest_first_and_paged(world: World) -> None:
    star = await world.account("star")
    fans = [await world.account(f"fan{i}") for i in range(3)]
    for fan in fans:
        await world.follow(fan, star)
    first = await world.read(queries.list_followers, None, star.id, PageRequest(limit=2))
    assert [a.id for _, a in first] == [fans[2].id, fans[1].id]
    rest = await world.read(
        queries.list_followers, None, star.id, PageRequest(max_id=first[-1][0], limit=2)
    )
    assert [a.id for _, a in rest] == [fans[0].id]
    following = await world.read(queries.list_following, None, fans[0].id, PageRequest())
    assert [a.id for _, a in following] == [star.id]


async def test_follow_of_a_remote_account_waits_for_its_accept_and_records_events(
    world: World,
) -> None:
    alice = await world.account("alice")
    remote = await world.remote("rita")
    assert await world.follow(alice, remote) == relationships.REQUESTED
    jobs = await world.read(_event_payloads, Event.FOLLOW_REQUESTED)
    assert jobs == [
        {
            "account_id": alice.id,
            "target_id": remote.id,
            "uri": jobs[0]["uri"],
        }
    ]
    assert jobs[0]["uri"].startswith(alice.uri + "#follows/")
    # The inbox applies the remote server's Accept with the same command a local target uses.
    await world.run(relationships.accept_follow_request, target=remote, follower_id=alice.id)
    [follow] = await world.rows(Follow)
    assert follow.uri == jobs[0]["uri"]  # Undo Follow can name the activity it undoes
    await world.run(relationships.unfollow_account, follower=alice, target=remote)
    [undo] = await world.read(_event_payloads, Event.UNFOLLOWED)
    assert undo["uri"] == follow.uri


async def test_a_remote_follower_of_an_open_account_is_accepted_at_once(world: World) -> None:
    bob = await world.account("bob")
    remote = await world.remote("rita")
    activity = "https://remote.example/activities/1"
    state = await world.follow(remote, bob, uri=activity)
    assert state == relationships.FOLLOWING
    [accepted] = await world.read(_event_payloads, Event.FOLLOW_ACCEPTED)
    assert accepted == {"account_id": remote.id, "target_id": bob.id, "uri": activity}
    assert (await world.fresh(bob)).followers_count == 1


async def _event_payloads(session: AsyncSession, name: str) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Job).where(Job.kind == JOB_PREFIX + name).order_by(Job.id))
    return [job.payload for job in rows.all()]
