from __future__ import annotations

from parley.domain.conversations.queries import list_conversations
from parley.domain.conversations.service import mark_conversation_read, remove_conversation
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Visibility
from parley.domain.relationships import service as relationships
from tests.unit.timelines.world import World


async def _threads(world: World, viewer_id: int, **page: int) -> list[tuple[int, bool]]:
    found = await world.read(list_conversations, viewer_id, PageRequest(**page))
    return [(c.thread_id, c.unread) for c in found]


async def test_only_mentioned_only_threads_the_viewer_is_in(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    carol = await world.account("carol")
    direct = await world.post(alice, "psst", visibility=Visibility.MENTIONED, mentions=[bob])
    await world.post(alice, "followers", visibility=Visibility.FOLLOWERS, mentions=[bob])
    await world.post(alice, "public", mentions=[bob])
    assert await _threads(world, bob.id) == [(direct.id, True)]
    assert await _threads(world, alice.id) == [(direct.id, False)]
    assert await _threads(world, carol.id) == []


async def test_a_blocked_author_is_left_out(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    await world.post(alice, "psst", visibility=Visibility.MENTIONED, mentions=[bob])
    await world.run(relationships.block_account, actor=bob, target=alice)
    assert await _threads(world, bob.id) == []


async def test_read_and_removed_until_someone_writes_again(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    first = await world.post(alice, "one", visibility=Visibility.MENTIONED, mentions=[bob])
    await world.run(mark_conversation_read, account=bob, thread_id=first.id)
    assert await _threads(world, bob.id) == [(first.id, False)]
    await world.run(remove_conversation, account=bob, thread_id=first.id)
    assert await _threads(world, bob.id) == []
    await world.post(
        alice, "two", visibility=Visibility.MENTIONED, mentions=[bob], in_reply_to=first
    )
    assert await _threads(world, bob.id) == [(first.id, True)]


async def test_pages_follow_the_last_post(world: World) -> None:
    alice, bob = await world.account("alice"), await world.account("bob")
    posts = [
        await world.post(alice, f"n{i}", visibility=Visibility.MENTIONED, mentions=[bob])
        for i in range(3)
    ]
    newest_first = [p.id for p in reversed(posts)]
    assert [t for t, _ in await _threads(world, bob.id, limit=2)] == newest_first[:2]
    older = await _threads(world, bob.id, max_id=newest_first[1])
    assert [t for t, _ in older] == newest_first[2:]
    newer = await _threads(world, bob.id, min_id=posts[0].id, limit=1)
    assert [t for t, _ in newer] == [posts[1].id]
