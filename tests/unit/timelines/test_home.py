from __future__ import annotations

from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Visibility
from parley.domain.relationships import service as relationships
from parley.domain.timelines.lists import add_list_members, create_list
from parley.domain.timelines.models import FeedEntry
from parley.domain.timelines.queries import home_timeline
from parley.domain.timelines.service import fan_out_post
from tests.unit.timelines.world import World


async def test_a_new_post_is_in_every_followers_home_right_away(world: World) -> None:
    author = await world.account("author")
    followers = [await world.account(f"follower{i}") for i in range(3)]
    stranger = await world.account("stranger")
    for follower in followers:
        await world.follow(follower, author)
    post = await world.post(author, "news")
    for reader in (author, *followers):
        assert await world.ids(home_timeline, reader.id) == [post.id]
    assert await world.ids(home_timeline, stranger.id) == []


async def test_fanning_out_twice_adds_nothing(world: World) -> None:
    author, follower = await world.account("author"), await world.account("follower")
    await world.follow(follower, author)
    post = await world.post(author)
    async with world.runtime.db.transaction() as session:
        await fan_out_post(session, post)
    assert await world.count(FeedEntry, FeedEntry.post_id == post.id) == 2


async def test_followers_only_post_reaches_followers_and_the_mentioned(world: World) -> None:
    author, follower = await world.account("author"), await world.account("follower")
    mentioned, stranger = await world.account("mentioned"), await world.account("stranger")
    await world.follow(follower, author)
    post = await world.post(
        author, "@mentioned inner circle", visibility=Visibility.FOLLOWERS, mentions=[mentioned]
    )
    assert await world.ids(home_timeline, follower.id) == [post.id]
    assert await world.ids(home_timeline, mentioned.id) == [post.id]
    assert await world.ids(home_timeline, stranger.id) == []


async def test_mentioned_only_post_reaches_only_the_mentioned(world: World) -> None:
    author, follower = await world.account("author"), await world.account("follower")
    mentioned = await world.account("mentioned")
    await world.follow(follower, author)
    await world.follow(mentioned, author)
    post = await world.post(
        author, "@mentioned psst", visibility=Visibility.MENTIONED, mentions=[mentioned]
    )
    assert await world.ids(home_timeline, mentioned.id) == [post.id]
    assert await world.ids(home_timeline, author.id) == [post.id]
    assert await world.ids(home_timeline, follower.id) == []


async def test_a_reply_reaches_the_replied_to_and_followers_of_both_only(world: World) -> None:
    author, other = await world.account("author"), await world.account("other")
    both, one = await world.account("both"), await world.account("one")
    for follower in (both, one):
        await world.follow(follower, author)
    await world.follow(both, other)
    await world.follow(other, author)
    original = await world.post(other, "a question")
    reply = await world.post(author, "an answer", in_reply_to=original)
    thread = await world.post(author, "and more", in_reply_to=reply)
    assert reply.id in await world.ids(home_timeline, both.id)
    assert reply.id not in await world.ids(home_timeline, one.id)
    assert reply.id in await world.ids(home_timeline, other.id)  # a reply to oneself shows
    assert thread.id in await world.ids(home_timeline, one.id)  # a self-reply is a thread


async def test_hidden_echoes_stay_out_of_home_even_if_hidden_after_delivery(
    world: World,
) -> None:
    reader, echoer, writer = [await world.account(n) for n in ("reader", "echoer", "writer")]
    await world.follow(reader, echoer)
    first = await world.echo(echoer, await world.post(writer, "one"))
    assert await world.ids(home_timeline, reader.id) == [first.id]
    await world.follow(reader, echoer, show_echoes=False)
    assert await world.ids(home_timeline, reader.id) == []
    await world.echo(echoer, await world.post(writer, "two"))
    own = await world.post(echoer, "own words")
    assert await world.ids(home_timeline, reader.id) == [own.id]


async def test_mute_hides_an_author_their_echoes_and_echoes_of_them_until_it_expires(
    world: World,
) -> None:
    reader, bore, friend = [await world.account(n) for n in ("reader", "bore", "friend")]
    await world.follow(reader, bore)
    await world.follow(reader, friend)
    boring = await world.post(bore, "boring")
    echoed = await world.echo(friend, boring)
    echo_by_bore = await world.echo(bore, await world.post(friend, "fine"))
    reply_to_bore = await world.post(friend, "reply", in_reply_to=boring)
    await world.run(relationships.mute_account, actor=reader, target=bore, duration_seconds=3600)
    shown = await world.ids(home_timeline, reader.id)
    for hidden in (boring, echoed, echo_by_bore, reply_to_bore):
        assert hidden.id not in shown
    await world.expire_mutes()
    shown = await world.ids(home_timeline, reader.id)
    for back in (boring, echoed, echo_by_bore, reply_to_bore):
        assert back.id in shown


async def test_blocked_accounts_vanish_from_home_both_ways(world: World) -> None:
    alice, bob, carol = [await world.account(n) for n in ("alice", "bob", "carol")]
    await world.follow(alice, carol)
    await world.follow(bob, carol)
    of_bob = await world.post(bob, "bob writes")
    echo_of_bob = await world.echo(carol, of_bob)
    echo_of_alice = await world.echo(carol, await world.post(alice, "alice writes"))
    await world.run(relationships.block_account, actor=alice, target=bob)
    assert echo_of_bob.id not in await world.ids(home_timeline, alice.id)
    assert echo_of_alice.id not in await world.ids(home_timeline, bob.id)


async def test_exclusive_list_members_leave_home(world: World) -> None:
    reader, news = await world.account("reader"), await world.account("news")
    await world.follow(reader, news)
    post = await world.post(news)
    exclusive = await world.run(create_list, owner=reader, title="News", exclusive=True)
    await world.run(add_list_members, owner=reader, list_id=exclusive.id, account_ids=[news.id])
    assert post.id not in await world.ids(home_timeline, reader.id)


async def test_suspended_authors_disappear_from_home(world: World) -> None:
    reader, author = await world.account("reader"), await world.account("author")
    await world.follow(reader, author)
    await world.post(author)
    async with world.runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == author.id).values(suspended_at=utcnow())
        )
    assert await world.read(home_timeline, reader.id, PageRequest()) == []


async def test_backfill_on_follow_brings_only_what_the_follower_may_see(world: World) -> None:
    reader, author, other = [await world.account(n) for n in ("reader", "author", "other")]
    public = await world.post(author, "hello")
    private = await world.post(author, "friends", visibility=Visibility.FOLLOWERS)
    await world.post(author, "@other psst", visibility=Visibility.MENTIONED, mentions=[other])
    await world.post(author, "to other", in_reply_to=await world.post(other, "q"))
    await world.follow(reader, author)
    assert await world.ids(home_timeline, reader.id) == [private.id, public.id]
