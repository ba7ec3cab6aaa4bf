from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from parley.domain.accounts.models import Account
from parley.domain.interactions import service as interactions
from parley.domain.posts import polls, queries
from parley.domain.posts.models import Post
from parley.domain.posts.polls import PollSpec
from parley.domain.posts.views import PostView, hydrate
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import block, echo, member, mute, reload, write


@contextmanager
def counting_queries(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _views(runtime: Runtime, viewer: Account | None, posts: list[Post]) -> list[PostView]:
    async with runtime.db.reader() as session:
        return await hydrate(session, None if viewer is None else viewer.id, posts)


async def _rich_echoes(runtime: Runtime, members: Members, n: int) -> tuple[Account, list[Post]]:
    """n echoes of n posts that each reply, quote, mention, tag and carry a poll."""
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    viewer = await member(members, "viewer")
    root = await write(runtime, bob, "root")
    quoted = await write(runtime, bob, "quoted #old")
    echoes = []
    for i in range(n):
        post = await write(
            runtime,
            alice,
            f"@bob @viewer #tag{i}",
            in_reply_to_id=root.id,
            quote_of_id=quoted.id,
            poll=PollSpec(["yes", "no"], 86_400, multiple=False),
        )
        async with runtime.db.transaction() as session:
            await interactions.upvote_post(session, actor=viewer, post_id=post.id)
            await interactions.bookmark_post(session, actor=viewer, post_id=post.id)
            poll = await queries.find_poll(session, post_id=post.id)
            assert poll is not None
            await polls.vote(session, voter=viewer, poll_id=poll.id, choices=[1])
        await echo(runtime, viewer, post.id)
        echoes.append(await echo(runtime, bob, post.id))
    await mute(runtime, viewer, alice)
    return viewer, echoes


async def test_hydrating_20_posts_takes_as_many_queries_as_hydrating_one(
    runtime: Runtime, members: Members
) -> None:
    viewer, echoes = await _rich_echoes(runtime, members, 20)
    with counting_queries(runtime) as one:
        single = await _views(runtime, viewer, echoes[:1])
    with counting_queries(runtime) as twenty:
        many = await _views(runtime, viewer, echoes)
    assert len(many) == 20
    assert len(one) == len(twenty)
    assert len(twenty) <= 10, twenty
    assert [view.post.id for view in many] == [post.id for post in echoes]
    assert single[0].post.id == echoes[0].id


async def test_a_view_carries_the_original_quote_mentions_tags_poll_and_viewer_flags(
    runtime: Runtime, members: Members
) -> None:
    viewer, echoes = await _rich_echoes(runtime, members, 2)
    [view] = await _views(runtime, viewer, echoes[-1:])
    assert view.account.username == "bob"
    original = view.echo_of
    assert original is not None
    assert view.shown is original
    assert original.account.username == "alice"
    assert original.reply_to_account is not None
    assert original.reply_to_account.username == "bob"
    assert sorted(a.username for a in original.mentions) == ["bob", "viewer"]
    assert [(t.name, t.display_name) for t in original.tags] == [("tag1", "tag1")]
    assert original.quote is not None
    assert original.quote.post.text == "quoted #old"
    assert [t.name for t in original.quote.tags] == ["old"]
    assert original.quote_hidden is False
    assert original.poll is not None
    assert original.poll.own_choices == [1]
    assert original.poll.voted
    assert not original.poll.expired
    assert (original.upvoted, original.bookmarked, original.echoed) == (True, True, True)
    assert original.pinned is False
    assert original.muted is True  # the viewer mutes alice
    assert view.muted is False  # but not bob, who echoed


async def test_an_anonymous_view_has_no_viewer_flags(runtime: Runtime, members: Members) -> None:
    _viewer, echoes = await _rich_echoes(runtime, members, 1)
    [view] = await _views(runtime, None, echoes)
    assert view.echo_of is not None
    assert view.echo_of.upvoted is False
    assert view.echo_of.echoed is False
    assert view.echo_of.poll is not None
    assert view.echo_of.poll.own_choices == []


async def test_a_quote_of_a_post_the_viewer_may_not_see_is_hidden(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    carol = await member(members, "carol")
    dave = await member(members, "dave")
    quoted = await write(runtime, carol, "carol's words")
    quote = await write(runtime, alice, "look", quote_of_id=quoted.id)
    await block(runtime, carol, dave)
    [as_dave] = await _views(runtime, dave, [quote])
    [as_alice] = await _views(runtime, alice, [quote])
    assert as_dave.quote is None
    assert as_dave.quote_hidden is True
    assert as_alice.quote is not None
    assert as_alice.quote.post.id == quoted.id
    assert (await reload(runtime, Post, quoted.id)).quotes_count == 1


async def test_hydrating_nothing_runs_no_query(runtime: Runtime) -> None:
    with counting_queries(runtime) as statements:
        assert await _views(runtime, None, []) == []
    assert statements == []
