"""A member's domain blocks: bad input, the followers removed, and the blocked server's
accounts hidden from timelines, notifications, threads and search, and in relationships."""

from __future__ import annotations

import pytest

from parley.domain.errors import Invalid
from parley.domain.notifications.queries import list_notifications
from parley.domain.pagination import PageRequest
from parley.domain.posts.queries import get_thread
from parley.domain.relationships import domain_blocks
from parley.domain.relationships.models import AccountDomainBlock, Follow
from parley.domain.relationships.queries import get_relationships
from parley.domain.search.queries import search_posts
from parley.domain.timelines import queries as timelines
from tests.conftest import TEST_DOMAIN
from tests.unit.timelines.world import World


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("parley.test", "your own server"),
        ("PARLEY.test.", "your own server"),
        ("", "not a domain"),
        ("not a domain", "not a domain"),
        ("localhost", "not a domain"),
        ("https://remote.example/users/x", "not a domain"),
        ("someone@remote.example", "not a domain"),
        ("x" * 300 + ".example", "not a domain"),
    ],
)
async def test_bad_domains_are_refused(world: World, domain: str, message: str) -> None:
    alice = await world.account("alice")
    with pytest.raises(Invalid, match=message):
        await world.run(
            domain_blocks.block_domain_for, account=alice, domain=domain, local_domain=TEST_DOMAIN
        )
    assert await world.count(AccountDomainBlock) == 0


async def test_blocking_is_idempotent_normalised_and_removes_followers_there(world: World) -> None:
    alice = await world.account("alice")
    fan = await world.remote("fan", "spam.example")
    other = await world.remote("other", "fine.example")
    local = await world.account("bob")
    for follower in (fan, other, local):
        await world.follow(follower, alice)
    for raw in ("Spam.Example", "spam.example"):
        await world.run(
            domain_blocks.block_domain_for, account=alice, domain=raw, local_domain=TEST_DOMAIN
        )
    assert [b.domain for b in await world.rows(AccountDomainBlock)] == ["spam.example"]
    followers = {f.account_id for f in await world.rows(Follow, Follow.target_id == alice.id)}
    assert followers == {other.id, local.id}
    assert (await world.fresh(alice)).followers_count == 2
    listed = await world.read(domain_blocks.list_domain_blocks_of, alice.id, PageRequest())
    assert [d for _, d in listed] == ["spam.example"]


async def test_a_blocked_server_disappears_from_every_read(world: World) -> None:
    alice = await world.account("alice")
    troll = await world.remote("troll", "spam.example")
    friend = await world.remote("friend", "fine.example")
    await world.follow(alice, troll)
    await world.follow(alice, friend)
    mine = await world.post(alice, "my thread about gardening")
    bad = await world.post(troll, "gardening spam", in_reply_to=mine, mentions=[alice])
    good = await world.post(friend, "gardening tips", in_reply_to=mine, mentions=[alice])
    await world.run(
        domain_blocks.block_domain_for, account=alice, domain="spam.example",
        local_domain=TEST_DOMAIN,
    )  # fmt: skip

    home = await world.ids(timelines.home_timeline, alice.id)
    assert bad.id not in home
    assert good.id in home
    public = await world.ids(timelines.public_timeline, alice.id)
    assert bad.id not in public
    notified = await world.read(list_notifications, alice.id, PageRequest())
    assert {n.from_account_id for n in notified} == {friend.id}
    thread = await world.read(get_thread, viewer_id=alice.id, post_id=mine.id)
    assert [p.id for p in thread.descendants] == [good.id]
    found = await world.read(search_posts, alice.id, "gardening")
    assert bad.id not in {p.id for p in found}
    assert good.id in {p.id for p in found}
    rels = {r.id: r for r in await world.read(get_relationships, alice.id, [troll.id, friend.id])}
    assert rels[troll.id].domain_blocking is True
    assert rels[friend.id].domain_blocking is False

    await world.run(
        domain_blocks.unblock_domain_for, account=alice, domain="spam.example",
        local_domain=TEST_DOMAIN,
    )  # fmt: skip
    assert bad.id in await world.ids(timelines.home_timeline, alice.id)


async def test_other_members_still_see_the_server(world: World) -> None:
    alice = await world.account("alice")
    bob = await world.account("bob")
    troll = await world.remote("troll", "spam.example")
    post = await world.post(troll, "hello")
    await world.run(
        domain_blocks.block_domain_for, account=alice, domain="spam.example",
        local_domain=TEST_DOMAIN,
    )  # fmt: skip
    assert post.id in await world.ids(timelines.public_timeline, bob.id)
    assert post.id not in await world.ids(timelines.public_timeline, alice.id)
