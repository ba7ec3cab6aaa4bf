from __future__ import annotations

from typing import Any

import pytest

from parley.domain.errors import NotFound
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Visibility
from parley.domain.relationships import service as relationships
from parley.domain.timelines import queries as timelines
from tests.unit.timelines.world import World


async def test_local_timeline_has_local_public_top_level_posts_only(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    remote = await world.remote("rita")
    public = await world.post(alice, "public")
    thread = await world.post(alice, "more", in_reply_to=public)
    await world.post(bob, "reply to alice", in_reply_to=public)
    await world.post(alice, "unlisted", visibility=Visibility.UNLISTED)
    await world.post(alice, "private", visibility=Visibility.FOLLOWERS)
    await world.post(alice, "@bob direct", visibility=Visibility.MENTIONED, mentions=[bob])
    await world.echo(bob, public)
    await world.post(remote, "from afar")
    expected = [thread.id, public.id]
    assert await world.ids(timelines.local_timeline, None) == expected
    assert await world.ids(timelines.local_timeline, bob.id) == expected


async def test_only_media_keeps_posts_with_media(world: World) -> None:
    alice = await world.account("alice")
    await world.post(alice, "text")
    picture = await world.post(alice, "picture", has_media=True)
    assert await world.ids(timelines.local_timeline, None, only_media=True) == [picture.id]
    assert await world.ids(timelines.profile_timeline, None, alice.id, only_media=True) == [
        picture.id
    ]


async def test_public_timeline_adds_remote_posts_and_can_narrow_to_either(world: World) -> None:
    alice, remote = await world.account("alice"), await world.remote("rita")
    here = await world.post(alice, "here")
    there = await world.post(remote, "there")
    assert await world.ids(timelines.public_timeline, None) == [there.id, here.id]
    assert await world.ids(timelines.public_timeline, None, local=True) == [here.id]
    assert await world.ids(timelines.public_timeline, None, remote=True) == [there.id]


async def test_tag_timeline_matches_any_case_and_only_public_posts(world: World) -> None:
    alice = await world.account("alice")
    tagged = await world.post(alice, "#Cats", tags=["Cats"])
    await world.post(alice, "#cats quietly", tags=["cats"], visibility=Visibility.UNLISTED)
    await world.post(alice, "#dogs", tags=["dogs"])
    for name in ("cats", "#CATS"):
        assert await world.ids(timelines.tag_timeline, None, name) == [tagged.id]
    assert await world.ids(timelines.tag_timeline, None, "unknown") == []


async def test_profile_keeps_threads_but_not_replies_to_others_unless_asked(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    question = await world.post(bob, "question")
    top = await world.post(alice, "top")
    thread = await world.post(alice, "thread", in_reply_to=top)
    answer = await world.post(alice, "answer", in_reply_to=question)
    echo = await world.echo(alice, question)
    profile = timelines.profile_timeline
    assert await world.ids(profile, bob.id, alice.id) == [echo.id, thread.id, top.id]
    assert await world.ids(profile, bob.id, alice.id, with_replies=True) == [
        echo.id,
        answer.id,
        thread.id,
        top.id,
    ]
    assert await world.ids(profile, bob.id, alice.id, exclude_echoes=True) == [thread.id, top.id]


async def test_profile_filtered_by_tag(world: World) -> None:
    alice = await world.account("alice")
    tagged = await world.post(alice, "#art", tags=["art"])
    await world.post(alice, "plain")
    profile = timelines.profile_timeline
    assert await world.ids(profile, None, alice.id, tagged="Art") == [tagged.id]
    assert await world.ids(profile, None, alice.id, tagged="nothing") == []


async def test_followers_only_posts_show_on_a_profile_to_followers_only(world: World) -> None:
    alice, follower, stranger = [await world.account(n) for n in ("alice", "fan", "stranger")]
    await world.follow(follower, alice)
    public = await world.post(alice, "public")
    unlisted = await world.post(alice, "unlisted", visibility=Visibility.UNLISTED)
    private = await world.post(alice, "private", visibility=Visibility.FOLLOWERS)
    profile = timelines.profile_timeline
    assert await world.ids(profile, follower.id, alice.id) == [private.id, unlisted.id, public.id]
    assert await world.ids(profile, stranger.id, alice.id) == [unlisted.id, public.id]
    assert await world.ids(profile, None, alice.id) == [unlisted.id, public.id]
    assert await world.ids(profile, alice.id, alice.id) == [private.id, unlisted.id, public.id]


async def test_a_muted_profile_still_shows_its_owner_but_not_echoes_of_the_muted(
    world: World,
) -> None:
    reader, bore, friend = [await world.account(n) for n in ("reader", "bore", "friend")]
    boring = await world.post(bore, "boring")
    echo = await world.echo(friend, boring)
    await world.run(relationships.mute_account, actor=reader, target=bore)
    assert await world.ids(timelines.profile_timeline, reader.id, bore.id) == [boring.id]
    assert echo.id not in await world.ids(timelines.profile_timeline, reader.id, friend.id)
    assert await world.ids(timelines.local_timeline, reader.id) == []


async def test_profile_of_an_unknown_account_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.read(timelines.profile_timeline, None, 12345, PageRequest())


@pytest.mark.parametrize("blocker", ["reader", "author"])
async def test_a_block_hides_the_other_in_every_timeline(world: World, blocker: str) -> None:
    reader, author = await world.account("reader"), await world.account("author")
    await world.follow(reader, author)
    post = await world.post(author, "#topic", tags=["topic"])
    await world.bookmark(reader, post)
    await world.upvote(reader, post)
    every: list[tuple[Any, tuple[Any, ...]]] = [
        (timelines.home_timeline, ()),
        (timelines.local_timeline, ()),
        (timelines.public_timeline, ()),
        (timelines.tag_timeline, ("topic",)),
        (timelines.profile_timeline, (author.id,)),
        (timelines.bookmarks_timeline, ()),
        (timelines.upvoted_timeline, ()),
    ]
    for query, args in every:
        assert await world.ids(query, reader.id, *args) == [post.id], query.__name__
    pair = (reader, author) if blocker == "reader" else (author, reader)
    await world.run(relationships.block_account, actor=pair[0], target=pair[1])
    for query, args in every:
        assert await world.ids(query, reader.id, *args) == [], query.__name__
    # The author sees nothing of the reader either.
    await world.post(reader, "#topic from the reader", tags=["topic"])
    assert await world.ids(timelines.local_timeline, author.id) == [post.id]
    assert await world.ids(timelines.tag_timeline, author.id, "topic") == [post.id]
    assert await world.ids(timelines.profile_timeline, author.id, reader.id) == []


async def test_bookmarks_are_in_bookmark_order_with_their_own_cursor(world: World) -> None:
    reader, author = await world.account("reader"), await world.account("author")
    older, newer = await world.post(author, "older"), await world.post(author, "newer")
    await world.bookmark(reader, newer)
    await world.bookmark(reader, older)
    pairs = await world.read(timelines.bookmarks_timeline, reader.id, PageRequest())
    assert [post.id for _, post in pairs] == [older.id, newer.id]
    after = await world.read(
        timelines.bookmarks_timeline, reader.id, PageRequest(max_id=pairs[0][0])
    )
    assert [post.id for _, post in after] == [newer.id]


async def test_saved_posts_the_reader_may_no_longer_see_are_left_out(world: World) -> None:
    reader, author = await world.account("reader"), await world.account("author")
    await world.follow(reader, author)
    private = await world.post(author, "friends only", visibility=Visibility.FOLLOWERS)
    await world.upvote(reader, private)
    assert await world.ids(timelines.upvoted_timeline, reader.id) == [private.id]
    await world.run(relationships.remove_follower, account=author, follower_id=reader.id)
    assert await world.ids(timelines.upvoted_timeline, reader.id) == []
