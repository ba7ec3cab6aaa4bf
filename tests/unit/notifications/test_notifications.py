from __future__ import annotations

from typing import Any

import pytest

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid, NotFound
from parley.domain.notifications import queries, service
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post, Visibility
from parley.domain.relationships import service as relationships
from tests.unit.timelines.world import World


async def _tell(
    world: World, recipient: Account, sender: Account, kind: str, post: Post | None = None
) -> Notification | None:
    result: Notification | None = await world.run(
        service.notify,
        recipient_id=recipient.id,
        from_account_id=sender.id,
        type=kind,
        post_id=None if post is None else post.id,
    )
    return result


async def _listed(world: World, account: Account, **kwargs: Any) -> list[int]:
    found = await world.read(queries.list_notifications, account.id, PageRequest(), **kwargs)
    return [n.id for n in found]


async def test_nobody_is_notified_of_their_own_act_or_when_remote(world: World) -> None:
    alice, remote = await world.account("alice"), await world.remote("rita")
    assert await _tell(world, alice, alice, NotificationType.UPVOTE) is None
    assert await _tell(world, remote, alice, NotificationType.FOLLOW) is None
    assert await world.count(Notification) == 0


@pytest.mark.parametrize("blocker", ["recipient", "sender"])
async def test_a_block_either_way_stops_and_hides_notifications(world: World, blocker: str) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    earlier = await _tell(world, alice, bob, NotificationType.MENTION)
    assert earlier is not None
    pair = (alice, bob) if blocker == "recipient" else (bob, alice)
    await world.run(relationships.block_account, actor=pair[0], target=pair[1])
    assert await _tell(world, alice, bob, NotificationType.MENTION) is None
    assert await _listed(world, alice) == []
    assert await world.read(queries.unread_count, alice.id) == 0
    with pytest.raises(NotFound):
        await world.read(queries.get_notification, alice.id, earlier.id)


async def test_a_mute_hides_notifications_until_it_expires(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    earlier = await _tell(world, alice, bob, NotificationType.FOLLOW)
    assert earlier is not None
    await world.run(relationships.mute_account, actor=alice, target=bob, duration_seconds=60)
    assert await _tell(world, alice, bob, NotificationType.UPVOTE) is None
    assert await _listed(world, alice) == []
    await world.expire_mutes()
    assert await _listed(world, alice) == [earlier.id]
    assert await _tell(world, alice, bob, NotificationType.UPVOTE) is not None


async def test_a_mute_that_keeps_notifications_keeps_them(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.run(relationships.mute_account, actor=alice, target=bob, hide_notifications=False)
    sent = await _tell(world, alice, bob, NotificationType.MENTION)
    assert sent is not None
    assert await _listed(world, alice) == [sent.id]


async def test_notifications_about_posts_the_recipient_can_no_longer_see_are_left_out(
    world: World,
) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.follow(alice, bob)
    private = await world.post(bob, "friends only", visibility=Visibility.FOLLOWERS)
    public = await world.post(bob, "for all")
    hidden = await _tell(world, alice, bob, NotificationType.POST_EDITED, private)
    kept = await _tell(world, alice, bob, NotificationType.POST_EDITED, public)
    assert hidden is not None
    assert kept is not None
    assert await _listed(world, alice) == [kept.id, hidden.id]
    await world.run(relationships.remove_follower, account=bob, follower_id=alice.id)
    assert await _listed(world, alice) == [kept.id]


async def test_types_and_exclude_types_filter(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    follow = await _tell(world, alice, bob, NotificationType.FOLLOW)
    mention = await _tell(world, alice, bob, NotificationType.MENTION)
    assert follow is not None
    assert mention is not None
    assert await _listed(world, alice, types=["follow"]) == [follow.id]
    assert await _listed(world, alice, exclude_types=["follow"]) == [mention.id]
    assert await _listed(world, alice, types=["no-such-type"]) == []


async def test_only_the_recipient_can_see_or_dismiss_a_notification(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    sent = await _tell(world, alice, bob, NotificationType.FOLLOW)
    assert sent is not None
    assert (await world.read(queries.get_notification, alice.id, sent.id)).id == sent.id
    with pytest.raises(NotFound):
        await world.read(queries.get_notification, bob.id, sent.id)
    with pytest.raises(NotFound):
        await world.run(service.dismiss_notification, account_id=bob.id, notification_id=sent.id)
    assert await world.count(Notification) == 1
    await world.run(service.dismiss_notification, account_id=alice.id, notification_id=sent.id)
    assert await world.count(Notification) == 0


async def test_clear_removes_only_ones_own_notifications(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await _tell(world, alice, bob, NotificationType.FOLLOW)
    await _tell(world, bob, alice, NotificationType.FOLLOW)
    await world.run(service.clear_notifications, account_id=alice.id)
    assert await _listed(world, alice) == []
    assert len(await _listed(world, bob)) == 1


async def test_unread_count_follows_the_marker_and_is_capped(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    sent = [await _tell(world, alice, bob, NotificationType.UPVOTE) for _ in range(3)]
    assert await world.read(queries.unread_count, alice.id) == 3
    assert await world.read(queries.unread_count, alice.id, cap=2) == 2
    first = sent[0]
    assert first is not None
    await world.run(service.mark_notifications_read, account_id=alice.id, up_to_id=first.id)
    assert await world.read(queries.unread_count, alice.id) == 2
    marker = await world.run(service.mark_notifications_read, account_id=alice.id)
    assert await world.read(queries.unread_count, alice.id) == 0
    # Marking an older point read does not move the marker back.
    again = await world.run(service.mark_notifications_read, account_id=alice.id, up_to_id=first.id)
    assert again.last_read_id == marker.last_read_id
    assert await world.read(queries.unread_count, alice.id) == 0


async def test_markers_start_at_version_zero_and_count_changes(world: World) -> None:
    alice = await world.account("alice")
    assert await world.read(queries.get_markers, alice.id) == {}
    set_marker = service.set_marker
    first = await world.run(set_marker, account_id=alice.id, timeline="home", last_read_id=10)
    assert (first.last_read_id, first.version) == (10, 0)
    await world.run(set_marker, account_id=alice.id, timeline="home", last_read_id=10)
    moved = await world.run(set_marker, account_id=alice.id, timeline="home", last_read_id=20)
    assert (moved.last_read_id, moved.version) == (20, 1)
    await world.run(set_marker, account_id=alice.id, timeline="notifications", last_read_id=5)
    markers = await world.read(queries.get_markers, alice.id, ["home"])
    assert list(markers) == ["home"]
    assert markers["home"].version == 1
    assert set(await world.read(queries.get_markers, alice.id)) == {"home", "notifications"}


@pytest.mark.parametrize(
    ("timeline", "last_read_id", "field"),
    [("public", 1, "timeline"), ("home", -1, "last_read_id")],
)
async def test_bad_marker_input_is_invalid(
    world: World, timeline: str, last_read_id: int, field: str
) -> None:
    alice = await world.account("alice")
    with pytest.raises(Invalid) as caught:
        await world.run(
            service.set_marker, account_id=alice.id, timeline=timeline, last_read_id=last_read_id
        )
    assert caught.value.field == field
    assert await world.read(queries.get_markers, alice.id) == {}


async def test_notifications_page_newest_first_without_gaps(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    sent = [await _tell(world, alice, bob, NotificationType.UPVOTE) for _ in range(5)]
    expected = [n.id for n in reversed(sent) if n is not None]
    seen: list[int] = []
    page = PageRequest(limit=2)
    while batch := await world.read(queries.list_notifications, alice.id, page):
        seen += [n.id for n in batch]
        page = PageRequest(max_id=batch[-1].id, limit=2)
    assert seen == expected
