from __future__ import annotations

import pytest

from parley.domain.accounts.models import Account
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.interactions import queries, service
from parley.domain.interactions.models import Bookmark, Pin, Upvote
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post, Visibility
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import block, count, echo, follow, ids, member, reload, write


async def _upvote(runtime: Runtime, actor: Account, post_id: int) -> Post:
    async with runtime.db.transaction() as session:
        return await service.upvote_post(session, actor=actor, post_id=post_id)


async def _pin(runtime: Runtime, actor: Account, post_id: int) -> Post:
    async with runtime.db.transaction() as session:
        return await service.pin_post(session, actor=actor, post_id=post_id)


async def test_upvoting_counts_once_and_tells_the_author_once(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "upvote me")
    await _upvote(runtime, bob, post.id)
    await _upvote(runtime, bob, post.id)
    assert (await reload(runtime, Post, post.id)).upvotes_count == 1
    assert await count(runtime, Upvote) == 1
    assert await count(runtime, Notification, Notification.type == NotificationType.UPVOTE) == 1


async def test_upvoting_an_echo_upvotes_the_original(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "original")
    echoed = await echo(runtime, bob, post.id)
    upvoted = await _upvote(runtime, bob, echoed.id)
    assert upvoted.id == post.id
    assert (await reload(runtime, Post, post.id)).upvotes_count == 1


async def test_removing_an_upvote_uncounts_it_and_withdraws_the_notification(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "upvote me")
    await _upvote(runtime, bob, post.id)
    for _ in range(2):  # the second time there is nothing to remove
        async with runtime.db.transaction() as session:
            await service.remove_upvote(session, actor=bob, post_id=post.id)
    assert (await reload(runtime, Post, post.id)).upvotes_count == 0
    assert await count(runtime, Upvote) == 0
    assert await count(runtime, Notification) == 0


async def test_a_post_one_cannot_see_cannot_be_upvoted_or_bookmarked(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    private = await write(runtime, alice, "followers", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        await _upvote(runtime, bob, private.id)
    with pytest.raises(NotFound):
        async with runtime.db.transaction() as session:
            await service.bookmark_post(session, actor=bob, post_id=private.id)
    await follow(runtime, bob, alice)
    await _upvote(runtime, bob, private.id)  # a follower may
    assert (await reload(runtime, Post, private.id)).upvotes_count == 1


async def test_bookmarks_are_idempotent_both_ways(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "keep this")
    for _ in range(2):
        async with runtime.db.transaction() as session:
            await service.bookmark_post(session, actor=bob, post_id=post.id)
    assert await count(runtime, Bookmark, Bookmark.account_id == bob.id) == 1
    for _ in range(2):
        async with runtime.db.transaction() as session:
            await service.remove_bookmark(session, actor=bob, post_id=post.id)
    assert await count(runtime, Bookmark) == 0


async def test_only_ones_own_non_echo_non_direct_posts_can_be_pinned(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    public = await write(runtime, alice, "pin me")
    private = await write(runtime, alice, "followers", visibility=Visibility.FOLLOWERS)
    direct = await write(runtime, alice, "@bob psst", visibility=Visibility.MENTIONED)
    bobs = await write(runtime, bob, "bob's")
    echoed = await echo(runtime, alice, bobs.id)
    await _pin(runtime, alice, public.id)
    await _pin(runtime, alice, public.id)  # again: no second pin
    await _pin(runtime, alice, private.id)
    with pytest.raises(Forbidden):
        await _pin(runtime, bob, public.id)
    with pytest.raises(Invalid):
        await _pin(runtime, alice, direct.id)
    with pytest.raises(Invalid):
        await _pin(runtime, alice, echoed.id)
    assert await count(runtime, Pin) == 2


async def test_at_most_five_posts_can_be_pinned(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    posts = [await write(runtime, alice, f"post {i}") for i in range(6)]
    for post in posts[:5]:
        await _pin(runtime, alice, post.id)
    with pytest.raises(Invalid, match="maximum"):
        await _pin(runtime, alice, posts[5].id)
    async with runtime.db.transaction() as session:
        await service.unpin_post(session, actor=alice, post_id=posts[0].id)
    await _pin(runtime, alice, posts[5].id)
    assert await count(runtime, Pin) == 5


async def test_pinned_posts_are_listed_newest_pin_first_and_only_if_visible(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    older = await write(runtime, alice, "public")
    private = await write(runtime, alice, "followers", visibility=Visibility.FOLLOWERS)
    await _pin(runtime, alice, private.id)
    await _pin(runtime, alice, older.id)
    async with runtime.db.reader() as session:
        as_alice = await queries.list_pinned(session, viewer_id=alice.id, account_id=alice.id)
        as_bob = await queries.list_pinned(session, viewer_id=bob.id, account_id=alice.id)
        as_nobody = await queries.list_pinned(session, viewer_id=None, account_id=alice.id)
    assert ids(as_alice) == [older.id, private.id]
    assert ids(as_bob) == [older.id]
    assert ids(as_nobody) == [older.id]


async def test_upvoters_and_echoers_are_listed_newest_first_in_pages(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    fans = [await member(members, f"fan{i}") for i in range(3)]
    blocked = await member(members, "blocked")
    post = await write(runtime, alice, "popular")
    for fan in [*fans, blocked]:
        await _upvote(runtime, fan, post.id)
        await echo(runtime, fan, post.id)
    await block(runtime, alice, blocked)
    async with runtime.db.reader() as session:
        first = await queries.list_upvoters(
            session, viewer_id=alice.id, post_id=post.id, page=PageRequest(limit=2)
        )
        rest = await queries.list_upvoters(
            session,
            viewer_id=alice.id,
            post_id=post.id,
            page=PageRequest(max_id=first[-1][0], limit=2),
        )
        echoers = await queries.list_echoers(
            session, viewer_id=None, post_id=post.id, page=PageRequest()
        )
    assert [a.username for _, a in first] == ["fan2", "fan1"]
    assert [a.username for _, a in rest] == ["fan0"]  # the blocked account is left out
    assert [a.username for _, a in echoers] == ["blocked", "fan2", "fan1", "fan0"]


async def test_the_upvoters_of_an_invisible_post_are_not_found(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    private = await write(runtime, alice, "followers", visibility=Visibility.FOLLOWERS)
    async with runtime.db.reader() as session:
        with pytest.raises(NotFound):
            await queries.list_upvoters(
                session, viewer_id=None, post_id=private.id, page=PageRequest()
            )
