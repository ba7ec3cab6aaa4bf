from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.interactions import service as interactions
from parley.domain.interactions.models import Bookmark, Pin, Upvote
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts import queries, service
from parley.domain.posts.models import Mention, Post, PostEdit, PostTag, Visibility
from parley.domain.timelines.models import FeedEntry
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import count, echo, follow, member, reload, write


async def _edit(runtime: Runtime, editor: Account, post_id: int, text: str, **kw: Any) -> Post:
    async with runtime.db.transaction() as session:
        return await service.edit_post(
            session, runtime.ctx, editor=editor, post_id=post_id, text=text, **kw
        )


async def _delete(runtime: Runtime, actor: Account, post_id: int, **kw: Any) -> Post:
    async with runtime.db.transaction() as session:
        return await service.delete_post(session, actor=actor, post_id=post_id, **kw)


async def test_after_n_edits_the_history_has_n_plus_one_versions_oldest_first(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    post = await write(runtime, alice, "first")
    await _edit(runtime, alice, post.id, "second", spoiler_text="cw")
    edited = await _edit(runtime, alice, post.id, "third #tagged")
    assert edited.edited_at is not None
    assert edited.text == "third #tagged"
    async with runtime.db.reader() as session:
        history = await queries.list_edits(session, viewer_id=None, post_id=post.id)
    assert [version.text for version in history] == ["first", "second", "third #tagged"]
    assert [version.spoiler_text for version in history] == ["", "cw", ""]
    assert history[1].sensitive is True  # a content warning makes a post sensitive
    assert history[0].created_at == post.created_at


async def test_an_unedited_post_has_its_one_version_as_history(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    post = await write(runtime, alice, "only")
    async with runtime.db.reader() as session:
        history = await queries.list_edits(session, viewer_id=None, post_id=post.id)
    assert [version.text for version in history] == ["only"]
    assert await count(runtime, PostEdit) == 0


async def test_an_edit_that_changes_nothing_records_nothing(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    post = await write(runtime, alice, "same")
    unchanged = await _edit(runtime, alice, post.id, "same")
    assert unchanged.edited_at is None
    assert await count(runtime, PostEdit) == 0


async def test_editing_replaces_mentions_and_tags(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    post = await write(runtime, alice, "@bob #old")
    await _edit(runtime, alice, post.id, "@carol #new")
    async with runtime.db.reader() as session:
        mentioned = (await session.scalars(select(Mention.account_id))).all()
        tags = await count(runtime, PostTag, PostTag.post_id == post.id)
        told = (
            await session.scalars(
                select(Notification.type).where(Notification.account_id == carol.id)
            )
        ).all()
    assert mentioned == [carol.id]
    assert tags == 1
    assert told == [NotificationType.MENTION]  # newly mentioned in the edit
    assert bob.id not in mentioned


async def test_editing_someone_elses_post_is_refused_and_changes_nothing(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    public = await write(runtime, alice, "mine")
    hidden = await write(runtime, alice, "secret", visibility=Visibility.MENTIONED)
    with pytest.raises(Forbidden):
        await _edit(runtime, bob, public.id, "yours now")
    with pytest.raises(NotFound):
        await _edit(runtime, bob, hidden.id, "yours now")
    assert (await reload(runtime, Post, public.id)).text == "mine"
    assert (await reload(runtime, Post, public.id)).edited_at is None
    assert await count(runtime, PostEdit) == 0


async def test_an_echo_cannot_be_edited(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "echo me")
    echoed = await echo(runtime, bob, original.id)
    with pytest.raises(Invalid):
        await _edit(runtime, bob, echoed.id, "words")
    assert (await reload(runtime, Post, echoed.id)).text == ""


async def test_an_edit_tells_those_who_echoed_the_post(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "before")
    await echo(runtime, bob, post.id)
    await _edit(runtime, alice, post.id, "after")
    async with runtime.db.reader() as session:
        told = (
            await session.execute(
                select(Notification.type, Notification.post_id).where(
                    Notification.account_id == bob.id
                )
            )
        ).all()
    assert [tuple(row) for row in told] == [(NotificationType.POST_EDITED, post.id)]


async def test_an_edit_over_the_length_limit_is_refused(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    post = await write(runtime, alice, "short")
    with pytest.raises(Invalid):
        await _edit(runtime, alice, post.id, "x" * 1001)
    assert (await reload(runtime, Post, post.id)).text == "short"


async def test_deleting_a_post_removes_everything_hanging_off_it_and_fixes_counters(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    await follow(runtime, bob, alice)
    root = await write(runtime, carol, "root")
    quoted = await write(runtime, carol, "quoted")
    post = await write(
        runtime, alice, "@bob #tag reply", in_reply_to_id=root.id, quote_of_id=quoted.id
    )
    await _edit(runtime, alice, post.id, "@bob #tag edited")
    await echo(runtime, bob, post.id)
    await echo(runtime, carol, post.id)
    async with runtime.db.transaction() as session:
        await interactions.upvote_post(session, actor=bob, post_id=post.id)
        await interactions.bookmark_post(session, actor=bob, post_id=post.id)
        await interactions.pin_post(session, actor=alice, post_id=post.id)
    reply_to_it = await write(runtime, bob, "answer", in_reply_to_id=post.id)

    deleted = await _delete(runtime, alice, post.id)

    assert deleted.text == "@bob #tag edited"  # still readable for "delete and redraft"
    assert await reload(runtime, Post, post.id) is None
    for model, column in (
        (PostEdit, PostEdit.post_id),
        (Mention, Mention.post_id),
        (PostTag, PostTag.post_id),
        (Upvote, Upvote.post_id),
        (Bookmark, Bookmark.post_id),
        (Pin, Pin.post_id),
        (FeedEntry, FeedEntry.post_id),
        (Notification, Notification.post_id),
    ):
        assert await count(runtime, model, column == post.id) == 0, model
    assert await count(runtime, Post, Post.echo_of_id == post.id) == 0
    assert await count(runtime, FeedEntry, FeedEntry.author_id == alice.id) == 0
    assert (await reload(runtime, Account, alice.id)).posts_count == 0
    assert (await reload(runtime, Account, bob.id)).posts_count == 1  # echo gone, reply stays
    assert (await reload(runtime, Account, carol.id)).posts_count == 2
    assert (await reload(runtime, Post, root.id)).replies_count == 0
    assert (await reload(runtime, Post, quoted.id)).quotes_count == 0
    orphan = await reload(runtime, Post, reply_to_it.id)
    assert orphan.in_reply_to_id is None


async def test_others_cannot_delete_a_post_but_a_moderator_can(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    moderator_user = await members.create("mod", role="moderator")
    moderator = await reload(runtime, Account, moderator_user.account_id)
    post = await write(runtime, alice, "keep me")
    with pytest.raises(Forbidden):
        await _delete(runtime, bob, post.id)
    with pytest.raises(Forbidden):
        await _delete(runtime, bob, post.id, as_moderator=True)  # bob is not staff
    assert await reload(runtime, Post, post.id) is not None
    await _delete(runtime, moderator, post.id, as_moderator=True)
    assert await reload(runtime, Post, post.id) is None
    assert (await reload(runtime, Account, alice.id)).posts_count == 0


async def test_deleting_a_missing_post_is_not_found(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    with pytest.raises(NotFound):
        await _delete(runtime, alice, 42)
