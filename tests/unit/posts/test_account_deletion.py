"""Deleting one's account (parley.domain.accounts.deletion): here because it is mostly posts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parley.db.base import Base
from parley.domain.accounts import service as accounts
from parley.domain.accounts.deletion import delete_account
from parley.domain.accounts.models import Account, PasswordReset, User, WebSession
from parley.domain.errors import Conflict, Invalid
from parley.domain.interactions import service as interactions
from parley.domain.notifications.models import Marker, Notification
from parley.domain.posts import polls, queries
from parley.domain.posts.models import Mention, Poll, Post
from parley.domain.posts.polls import PollSpec
from parley.domain.relationships.models import FollowRequest, Mute
from parley.domain.timelines.models import List, ListMember
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.unit.posts.factories import block, count, echo, follow, member, reload, write

# Rows that may keep pointing at a deleted member: other people's content about them.
KEPT = {("mentions", "account_id"), ("posts", "in_reply_to_account_id")}


async def _rows_about(runtime: Runtime, account_id: int, user_id: int) -> dict[str, int]:
    """For every table, the rows whose foreign keys point at the account or its user."""
    found: dict[str, int] = {}
    async with runtime.db.reader() as session:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                target = fk.column.table.name
                if target not in ("accounts", "users") or (table.name, fk.parent.name) in KEPT:
                    continue
                wanted = account_id if target == "accounts" else user_id
                n = await session.scalar(
                    select(func.count()).select_from(table).where(fk.parent == wanted)
                )
                if n:
                    found[f"{table.name}.{fk.parent.name}"] = int(n)
    return found


async def test_deleting_an_account_deletes_its_content_and_fixes_everyone_elses_counters(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    ctx = runtime.ctx
    # Alice's world: relationships both ways...
    await follow(runtime, alice, bob)
    await follow(runtime, bob, alice)
    await follow(runtime, carol, alice)
    await block(runtime, alice, carol)
    await block(runtime, carol, alice)
    # ...her posts and what others did with them...
    own = await write(runtime, alice, "mine #tag @bob")
    poll_post = await write(runtime, alice, "vote", poll=PollSpec(["a", "b"], 86_400))
    await echo(runtime, bob, own.id)
    bob_reply = await write(runtime, bob, "@alice nice", in_reply_to_id=own.id)
    # ...and what she did with others' posts.
    bobs = await write(runtime, bob, "bob's post", poll=PollSpec(["x", "y"], 86_400))
    await write(runtime, alice, "replying", in_reply_to_id=bobs.id)
    await write(runtime, alice, "quoting", quote_of_id=bobs.id)
    await echo(runtime, alice, bobs.id)
    async with runtime.db.transaction() as session:
        await interactions.upvote_post(session, actor=alice, post_id=bobs.id)
        await interactions.bookmark_post(session, actor=alice, post_id=bobs.id)
        await interactions.upvote_post(session, actor=bob, post_id=own.id)
        await interactions.pin_post(session, actor=alice, post_id=own.id)
        bob_poll = await queries.find_poll(session, post_id=bobs.id)
        alice_poll = await queries.find_poll(session, post_id=poll_post.id)
        assert bob_poll is not None
        assert alice_poll is not None
        await polls.vote(session, voter=alice, poll_id=bob_poll.id, choices=[1])
        await polls.vote(session, voter=bob, poll_id=bob_poll.id, choices=[1])
        await polls.vote(session, voter=bob, poll_id=alice_poll.id, choices=[0])
        session.add(FollowRequest(account_id=alice.id, target_id=carol.id))
        session.add(Mute(account_id=bob.id, target_id=alice.id))
        session.add(Marker(account_id=alice.id, timeline="home", last_read_id=1))
        friends = List(account_id=alice.id, title="friends")
        session.add(friends)
        await session.flush()
        session.add(ListMember(list_id=friends.id, account_id=bob.id))
        bobs_list = List(account_id=bob.id, title="people")
        session.add(bobs_list)
        await session.flush()
        session.add(ListMember(list_id=bobs_list.id, account_id=alice.id))
        user = await session.scalar(select(User).where(User.account_id == alice.id))
        assert user is not None
        await accounts.start_web_session(session, ctx, user=user)
        await accounts.request_password_reset(session, ctx, email="alice@example.org")
    assert await _rows_about(runtime, alice.id, user.id)  # the check below can fail

    with pytest.raises(Invalid) as caught:
        async with runtime.db.transaction() as session:
            await delete_account(session, ctx, account=alice, password="wrong password")
    assert caught.value.field == "password"
    assert await count(runtime, Post, Post.account_id == alice.id) == 5

    async with runtime.db.transaction() as session:
        tombstone = await delete_account(session, ctx, account=alice, password=PASSWORD)

    assert await _rows_about(runtime, alice.id, user.id) == {}
    assert tombstone.suspended_at is not None
    stored = await reload(runtime, Account, alice.id)
    assert stored.username == "alice"
    assert stored.private_key_pem  # kept to sign the federated Delete
    assert (stored.posts_count, stored.followers_count, stored.following_count) == (0, 0, 0)
    assert await count(runtime, WebSession) == 0
    assert await count(runtime, PasswordReset) == 0
    assert await count(runtime, List, List.account_id == bob.id) == 1
    assert await count(runtime, ListMember) == 0

    after_bob = await reload(runtime, Account, bob.id)
    assert after_bob.followers_count == 0
    assert after_bob.following_count == 0
    assert after_bob.posts_count == 2  # bob's post and his reply; his echo of alice's is gone
    assert (await reload(runtime, Account, carol.id)).following_count == 0
    after_bobs = await reload(runtime, Post, bobs.id)
    assert (after_bobs.replies_count, after_bobs.quotes_count) == (0, 0)
    assert (after_bobs.echoes_count, after_bobs.upvotes_count) == (0, 0)
    poll = await reload(runtime, Poll, bob_poll.id)
    assert [o["votes_count"] for o in poll.options] == [0, 1]
    assert (poll.votes_count, poll.voters_count) == (1, 1)
    orphan = await reload(runtime, Post, bob_reply.id)
    assert orphan.in_reply_to_id is None
    assert await count(runtime, Mention, Mention.post_id == bob_reply.id) == 1  # bob's content
    assert await count(runtime, Notification, Notification.account_id == bob.id) == 0

    with pytest.raises(Conflict):
        await members.create("alice")


async def test_a_held_reply_deleted_with_its_author_does_not_uncount_the_parent(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    parent = await write(runtime, alice, "a sunny day")
    await write(runtime, carol, "lovely", in_reply_to_id=parent.id, quote_of_id=parent.id)
    held = await write(runtime, bob, "I will kill you all", in_reply_to_id=parent.id)
    assert held.held
    assert (await reload(runtime, Post, parent.id)).replies_count == 1
    async with runtime.db.transaction() as session:
        await delete_account(session, runtime.ctx, account=bob, password=PASSWORD)
    stored = await reload(runtime, Post, parent.id)
    assert (stored.replies_count, stored.quotes_count) == (1, 1)
