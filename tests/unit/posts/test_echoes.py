from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from parley.domain.accounts.models import Account
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts import service
from parley.domain.posts.models import Post, Visibility
from parley.domain.timelines.models import FeedEntry
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import count, echo, follow, member, reload, write


async def _unecho(runtime: Runtime, actor: Account, post_id: int) -> Post:
    async with runtime.db.transaction() as session:
        return await service.unecho_post(session, actor=actor, post_id=post_id)


async def _echo_notifications(runtime: Runtime, recipient: Account) -> int:
    return await count(
        runtime,
        Notification,
        Notification.account_id == recipient.id,
        Notification.type == NotificationType.ECHO,
    )


async def test_an_echo_points_at_the_original_and_counts_once_however_often_it_is_made(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "worth echoing")
    first = await echo(runtime, bob, original.id)
    again = await echo(runtime, bob, original.id)
    via_echo = await echo(runtime, bob, first.id)  # echoing an echo echoes the original
    assert first.id == again.id == via_echo.id
    assert first.echo_of_id == original.id
    assert first.text == ""
    assert first.uri == f"https://parley.test/users/bob/statuses/{first.id}/activity"
    assert (await reload(runtime, Post, original.id)).echoes_count == 1
    assert (await reload(runtime, Account, bob.id)).posts_count == 1
    assert await _echo_notifications(runtime, alice) == 1


async def test_an_echo_reaches_the_echoers_followers(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    await follow(runtime, carol, bob)
    original = await write(runtime, alice, "spread this")
    echoed = await echo(runtime, bob, original.id)
    async with runtime.db.reader() as session:
        homes = set(
            await session.scalars(
                select(FeedEntry.account_id).where(FeedEntry.post_id == echoed.id)
            )
        )
    assert homes == {bob.id, carol.id}


async def test_others_followers_only_and_mentioned_only_posts_cannot_be_echoed(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    await follow(runtime, bob, alice)
    private = await write(runtime, alice, "for followers", visibility=Visibility.FOLLOWERS)
    direct = await write(runtime, alice, "@bob psst", visibility=Visibility.MENTIONED)
    with pytest.raises(Forbidden):
        await echo(runtime, bob, private.id)
    with pytest.raises(Forbidden):
        await echo(runtime, bob, direct.id)
    assert await count(runtime, Post, Post.echo_of_id.is_not(None)) == 0
    assert (await reload(runtime, Post, private.id)).echoes_count == 0


async def test_an_author_may_echo_their_own_followers_only_post_to_followers(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    private = await write(runtime, alice, "for followers", visibility=Visibility.FOLLOWERS)
    echoed = await echo(runtime, alice, private.id, visibility=Visibility.PUBLIC)
    assert echoed.visibility == Visibility.FOLLOWERS


async def test_a_post_one_cannot_see_cannot_be_echoed(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    private = await write(runtime, alice, "for followers", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        await echo(runtime, bob, private.id)
    with pytest.raises(NotFound):
        await echo(runtime, bob, 999)


async def test_an_echo_for_mentioned_people_only_is_refused(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "public")
    with pytest.raises(Invalid):
        await echo(runtime, bob, original.id, visibility=Visibility.MENTIONED)


async def test_taking_back_an_echo_deletes_it_and_its_counts_and_notification(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "echo then regret")
    echoed = await echo(runtime, bob, original.id)
    returned = await _unecho(runtime, bob, original.id)
    assert returned.id == original.id
    assert await reload(runtime, Post, echoed.id) is None
    assert (await reload(runtime, Post, original.id)).echoes_count == 0
    assert (await reload(runtime, Account, bob.id)).posts_count == 0
    assert await _echo_notifications(runtime, alice) == 0
    assert await count(runtime, FeedEntry, FeedEntry.post_id == echoed.id) == 0
    # Nothing to take back: the original, unchanged.
    assert (await _unecho(runtime, bob, original.id)).id == original.id
    assert (await reload(runtime, Post, original.id)).echoes_count == 0


async def test_taking_back_an_echo_of_an_invisible_post_one_never_echoed_is_not_found(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    private = await write(runtime, alice, "followers", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        await _unecho(runtime, bob, private.id)


async def test_deleting_ones_echo_is_the_same_as_taking_it_back(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "echo me")
    echoed = await echo(runtime, bob, original.id)
    async with runtime.db.transaction() as session:
        await service.delete_post(session, actor=bob, post_id=echoed.id)
    assert await reload(runtime, Post, original.id) is not None
    assert (await reload(runtime, Post, original.id)).echoes_count == 0
    assert (await reload(runtime, Account, bob.id)).posts_count == 0
    assert (await reload(runtime, Account, alice.id)).posts_count == 1


async def test_the_database_refuses_a_second_echo_of_a_post_by_the_same_account(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "once")
    await echo(runtime, bob, original.id)
    with pytest.raises(IntegrityError):
        async with runtime.db.transaction() as session:
            session.add(
                Post(account_id=bob.id, uri="https://parley.test/dup", echo_of_id=original.id)
            )
    assert await count(runtime, Post, Post.echo_of_id == original.id) == 1
