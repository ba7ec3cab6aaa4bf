from __future__ import annotations

import pytest

from parley.domain.errors import NotFound
from parley.domain.posts import queries
from parley.domain.posts.models import Post, Visibility
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import block, echo, follow, ids, member, mute, write


async def test_a_thread_lists_ancestors_oldest_first_and_replies_depth_first(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    root = await write(runtime, alice, "root")
    a = await write(runtime, bob, "a", in_reply_to_id=root.id)
    focus = await write(runtime, alice, "focus", in_reply_to_id=a.id)
    b = await write(runtime, bob, "b", in_reply_to_id=focus.id)
    c = await write(runtime, alice, "c", in_reply_to_id=focus.id)
    b1 = await write(runtime, alice, "b1", in_reply_to_id=b.id)
    other = await write(runtime, bob, "other branch", in_reply_to_id=root.id)
    async with runtime.db.reader() as session:
        thread = await queries.get_thread(session, viewer_id=bob.id, post_id=focus.id)
        whole = await queries.get_thread(session, viewer_id=None, post_id=root.id)
    assert thread.post.id == focus.id
    assert ids(thread.ancestors) == [root.id, a.id]
    assert ids(thread.descendants) == [b.id, b1.id, c.id]
    assert ids(whole.descendants) == [a.id, focus.id, b.id, b1.id, c.id, other.id]


async def test_a_thread_leaves_out_what_the_viewer_may_not_see(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    await follow(runtime, alice, bob)
    root = await write(runtime, alice, "root")
    hidden = await write(
        runtime, bob, "bob's followers", in_reply_to_id=root.id, visibility=Visibility.FOLLOWERS
    )
    under_hidden = await write(runtime, alice, "public again", in_reply_to_id=hidden.id)
    async with runtime.db.reader() as session:
        as_carol = await queries.get_thread(session, viewer_id=carol.id, post_id=root.id)
        as_bob = await queries.get_thread(session, viewer_id=bob.id, post_id=root.id)
    assert ids(as_carol.descendants) == [under_hidden.id]  # as Mastodon shows it
    assert ids(as_bob.descendants) == [hidden.id, under_hidden.id]


async def test_a_thread_hides_accounts_the_viewer_blocks_or_mutes_but_not_the_focus(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    dave = await member(members, "dave")
    root = await write(runtime, alice, "root")
    from_bob = await write(runtime, bob, "bob says", in_reply_to_id=root.id)
    from_carol = await write(runtime, carol, "carol says", in_reply_to_id=root.id)
    from_alice = await write(runtime, alice, "alice says", in_reply_to_id=root.id)
    await block(runtime, dave, bob)
    await mute(runtime, dave, carol)
    async with runtime.db.reader() as session:
        thread = await queries.get_thread(session, viewer_id=dave.id, post_id=root.id)
        focused = await queries.get_thread(session, viewer_id=dave.id, post_id=from_carol.id)
        with pytest.raises(NotFound):  # blocked: not even when asked for
            await queries.get_thread(session, viewer_id=dave.id, post_id=from_bob.id)
    assert ids(thread.descendants) == [from_alice.id]
    assert focused.post.id == from_carol.id
    assert ids(focused.ancestors) == [root.id]


async def test_the_thread_of_an_echo_is_its_originals(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    root = await write(runtime, alice, "root")
    reply = await write(runtime, alice, "reply", in_reply_to_id=root.id)
    echoed = await echo(runtime, bob, root.id)
    async with runtime.db.reader() as session:
        thread = await queries.get_thread(session, viewer_id=None, post_id=echoed.id)
    assert thread.post.id == root.id
    assert ids(thread.descendants) == [reply.id]


async def test_an_invisible_post_is_not_found_and_so_is_its_thread(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    secret = await write(runtime, alice, "secret", visibility=Visibility.MENTIONED)
    async with runtime.db.reader() as session:
        with pytest.raises(NotFound):
            await queries.get_visible_post(session, viewer_id=bob.id, post_id=secret.id)
        with pytest.raises(NotFound):
            await queries.get_thread(session, viewer_id=None, post_id=secret.id)
        with pytest.raises(NotFound):
            await queries.list_edits(session, viewer_id=bob.id, post_id=secret.id)
        own = await queries.get_visible_post(session, viewer_id=alice.id, post_id=secret.id)
    assert own.id == secret.id


async def test_ancestors_outside_the_thread_are_still_found(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    root = await write(runtime, alice, "root")
    middle = await write(runtime, alice, "middle", in_reply_to_id=root.id)
    leaf = await write(runtime, alice, "leaf", in_reply_to_id=middle.id)
    async with runtime.db.transaction() as session:
        # As when a remote reply arrived before its parent: it started its own thread.
        for post_id in (middle.id, leaf.id):
            stored = await session.get(Post, post_id)
            assert stored is not None
            stored.thread_id = middle.id
    async with runtime.db.reader() as session:
        thread = await queries.get_thread(session, viewer_id=None, post_id=leaf.id)
    assert ids(thread.ancestors) == [root.id, middle.id]
