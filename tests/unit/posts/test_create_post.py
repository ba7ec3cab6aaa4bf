from __future__ import annotations

import pytest
from sqlalchemy import select

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, User
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.instance import service as instance
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts.counting import post_length
from parley.domain.posts.models import Mention, Post, PostTag, Tag, Visibility
from parley.domain.timelines.models import FeedEntry
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import block, count, follow, member, reload, write


async def _notifications(runtime: Runtime, recipient: Account) -> list[tuple[str, int | None]]:
    async with runtime.db.reader() as session:
        rows = await session.execute(
            select(Notification.type, Notification.post_id)
            .where(Notification.account_id == recipient.id)
            .order_by(Notification.id)
        )
        return [(kind, post_id) for kind, post_id in rows]


async def test_a_post_links_mentions_tags_and_urls_and_stores_them(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(
        runtime, alice, "Hi @bob and @nobody, see https://example.org/page #Parley #parley #Tea"
    )
    assert post.uri == f"https://parley.test/users/alice/statuses/{post.id}"
    assert post.url == f"https://parley.test/@alice/{post.id}"
    assert post.thread_id == post.id
    assert 'href="https://parley.test/@bob" class="u-url mention"' in post.content_html
    assert "@nobody" in post.content_html
    assert "/@nobody" not in post.content_html
    assert 'href="https://example.org/page"' in post.content_html
    assert 'href="https://parley.test/tags/parley"' in post.content_html
    async with runtime.db.reader() as session:
        mentioned = (await session.scalars(select(Mention.account_id))).all()
        tags = (
            await session.execute(
                select(Tag.name, Tag.display_name)
                .join(PostTag, PostTag.tag_id == Tag.id)
                .where(PostTag.post_id == post.id)
                .order_by(Tag.name)
            )
        ).all()
    assert mentioned == [bob.id]
    assert [tuple(t) for t in tags] == [("parley", "Parley"), ("tea", "Tea")]
    assert await _notifications(runtime, bob) == [(NotificationType.MENTION, post.id)]


async def test_a_tag_keeps_the_casing_it_was_first_written_with(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    await write(runtime, alice, "#DogsOfParley")
    await write(runtime, alice, "#dogsofparley again")
    async with runtime.db.reader() as session:
        tags = (await session.execute(select(Tag.name, Tag.display_name))).all()
    assert [tuple(t) for t in tags] == [("dogsofparley", "DogsOfParley")]
    assert await count(runtime, PostTag) == 2


def test_every_url_counts_as_23_characters_and_remote_domains_do_not_count() -> None:
    assert post_length("a" * 10) == 10
    assert post_length("see https://example.org/" + "x" * 200) == len("see ") + 23
    assert post_length("hi @bob@mastodon.example.org") == len("hi @bob")
    assert post_length("#tag") == 4


async def test_the_length_limit_is_the_instance_setting_and_counts_links_as_23(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        await instance.update_instance_info(session, max_post_chars=50)
    long_link = "https://example.org/" + "x" * 300
    post = await write(runtime, alice, "a" * 26 + " " + long_link)  # 26 + 1 + 23 = 50
    assert post.text.endswith("x" * 300)
    with pytest.raises(Invalid) as caught:
        await write(runtime, alice, "a" * 51)
    assert caught.value.field == "text"
    assert "50" in caught.value.message
    with pytest.raises(Invalid):
        await write(runtime, alice, "a" * 30, spoiler_text="b" * 21)  # the warning counts too
    assert await count(runtime, Post) == 1


async def test_an_empty_post_is_refused(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    with pytest.raises(Invalid) as caught:
        await write(runtime, alice, "   \n ")
    assert caught.value.field == "text"
    assert await count(runtime, Post) == 0


async def test_an_unknown_visibility_is_refused(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    with pytest.raises(Invalid) as caught:
        await write(runtime, alice, "hello", visibility="friends")
    assert caught.value.field == "visibility"
    assert await count(runtime, Post) == 0


async def test_visibility_defaults_to_the_members_preference(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.account_id == alice.id))
        assert user is not None
        user.default_visibility = Visibility.UNLISTED
    assert (await write(runtime, alice, "quietly")).visibility == Visibility.UNLISTED
    assert (await write(runtime, alice, "loud", visibility="public")).visibility == "public"


async def test_replies_share_the_thread_and_count_on_the_parent_and_author(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    root = await write(runtime, alice, "root")
    reply = await write(runtime, bob, "reply", in_reply_to_id=root.id)
    deeper = await write(runtime, alice, "deeper", in_reply_to_id=reply.id)
    assert reply.thread_id == deeper.thread_id == root.id
    assert reply.in_reply_to_account_id == alice.id
    assert (await reload(runtime, Post, root.id)).replies_count == 1
    assert (await reload(runtime, Post, reply.id)).replies_count == 1
    author = await reload(runtime, Account, alice.id)
    assert author.posts_count == 2
    assert author.last_post_at is not None
    assert (await reload(runtime, Account, bob.id)).posts_count == 1


async def test_a_reply_tells_the_parent_author_once_even_when_it_mentions_them(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    root = await write(runtime, alice, "root")
    plain = await write(runtime, bob, "no mention", in_reply_to_id=root.id)
    both = await write(runtime, bob, "@alice and @carol", in_reply_to_id=root.id)
    assert await _notifications(runtime, alice) == [
        (NotificationType.COMMENT, plain.id),
        (NotificationType.COMMENT, both.id),
    ]
    assert await _notifications(runtime, carol) == [(NotificationType.MENTION, both.id)]
    # The replied-to author is not mentioned unless written.
    assert await count(runtime, Mention, Mention.post_id == plain.id) == 0


async def test_a_mentioned_only_reply_does_not_tell_a_parent_author_who_cannot_read_it(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    await member(members, "carol")
    root = await write(runtime, alice, "root")
    await write(runtime, bob, "@carol psst", in_reply_to_id=root.id, visibility="direct")
    assert await _notifications(runtime, alice) == []


async def test_replying_to_a_post_one_cannot_see_is_not_found_and_creates_nothing(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    secret = await write(runtime, alice, "followers only", visibility=Visibility.FOLLOWERS)
    with pytest.raises(NotFound):
        await write(runtime, bob, "can I reply?", in_reply_to_id=secret.id)
    with pytest.raises(NotFound):
        await write(runtime, bob, "to nothing", in_reply_to_id=12345)
    assert await count(runtime, Post) == 1
    assert (await reload(runtime, Post, secret.id)).replies_count == 0
    assert (await reload(runtime, Account, bob.id)).posts_count == 0


async def test_replying_to_someone_who_blocks_you_is_refused(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    root = await write(runtime, alice, "public")
    await block(runtime, alice, bob)
    with pytest.raises((NotFound, Forbidden)):
        await write(runtime, bob, "hey", in_reply_to_id=root.id)
    assert await count(runtime, Post) == 1


async def test_a_new_post_reaches_the_authors_and_followers_homes(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    await follow(runtime, bob, alice)
    post = await write(runtime, alice, "hello")
    homes = {row.account_id for row in await _feed_rows(runtime, post.id)}
    assert homes == {alice.id, bob.id}  # carol does not follow alice
    assert carol.id not in homes


async def _feed_rows(runtime: Runtime, post_id: int) -> list[FeedEntry]:
    async with runtime.db.reader() as session:
        return list(await session.scalars(select(FeedEntry).where(FeedEntry.post_id == post_id)))


async def test_a_quote_counts_on_the_original_and_tells_its_author(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    original = await write(runtime, alice, "quotable")
    quote = await write(runtime, bob, "so true", quote_of_id=original.id)
    assert quote.quote_of_id == original.id
    assert (await reload(runtime, Post, original.id)).quotes_count == 1
    assert await _notifications(runtime, alice) == [(NotificationType.QUOTE, quote.id)]


async def test_only_visible_public_or_unlisted_posts_can_be_quoted(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    await follow(runtime, bob, alice)
    private = await write(runtime, alice, "followers", visibility=Visibility.FOLLOWERS)
    direct = await write(runtime, alice, "just me", visibility=Visibility.MENTIONED)
    with pytest.raises(Forbidden):
        await write(runtime, bob, "quoting", quote_of_id=private.id)  # visible but private
    with pytest.raises(NotFound):
        await write(runtime, bob, "quoting", quote_of_id=direct.id)  # not even visible
    assert (await reload(runtime, Post, private.id)).quotes_count == 0
    assert await count(runtime, Post, Post.account_id == bob.id) == 0


async def test_a_suspended_member_cannot_post(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        row = await session.get(Account, alice.id)
        assert row is not None
        row.suspended_at = utcnow()
    suspended = await reload(runtime, Account, alice.id)
    with pytest.raises(Forbidden):
        await write(runtime, suspended, "still here?")
    assert await count(runtime, Post) == 0


async def test_a_bad_language_code_is_refused(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    with pytest.raises(Invalid) as caught:
        await write(runtime, alice, "hola", language="not a language!")
    assert caught.value.field == "language"
    assert (await write(runtime, alice, "olá", language="pt-BR")).language == "pt-BR"


async def test_a_known_remote_account_is_mentioned_whatever_the_case_of_its_domain(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        remote = Account(
            username="Carol",
            username_lower="carol",
            domain="remote.example",
            uri="https://remote.example/users/carol",
            url="https://remote.example/@carol",
            fields=[],
            also_known_as=[],
        )
        session.add(remote)
    post = await write(runtime, alice, "hi @carol@Remote.Example and @carol")
    async with runtime.db.reader() as session:
        mentioned = (
            await session.scalars(select(Mention.account_id).where(Mention.post_id == post.id))
        ).all()
    assert mentioned == [remote.id]  # there is no local carol
    assert 'href="https://remote.example/@carol"' in post.content_html
