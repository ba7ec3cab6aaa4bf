"""Moving an account's followers: a follower who blocks the new account, or who blocked its
server, is not made to follow it (they keep following the old account)."""

from __future__ import annotations

from parley.domain.portability.migration import transfer_followers
from parley.domain.relationships import domain_blocks
from parley.domain.relationships.models import Follow, FollowRequest
from parley.domain.relationships.service import block_account
from tests.conftest import TEST_DOMAIN
from tests.unit.timelines.world import World


async def test_followers_who_block_the_target_or_its_server_stay_behind(world: World) -> None:
    origin = await world.account("alice")
    target = await world.remote("alice", "new.example")
    willing = await world.account("bob")
    blocker = await world.account("carol")
    domain_blocker = await world.account("dave")
    blocked = await world.account("erin")
    for follower in (willing, blocker, domain_blocker, blocked):
        await world.follow(follower, origin)
    await world.run(block_account, actor=blocker, target=target)
    await world.run(
        domain_blocks.block_domain_for,
        account=domain_blocker, domain="New.Example", local_domain=TEST_DOMAIN,
    )  # fmt: skip
    await world.run(block_account, actor=target, target=blocked)

    moved = await world.run(transfer_followers, origin=origin, target=target)

    assert moved == 1
    asked = await world.rows(FollowRequest, FollowRequest.target_id == target.id)
    following = await world.rows(Follow, Follow.target_id == target.id)
    assert [r.account_id for r in [*asked, *following]] == [willing.id]
    stayed = await world.rows(Follow, Follow.target_id == origin.id)
    assert sorted(f.account_id for f in stayed) == sorted(
        [blocker.id, domain_blocker.id, blocked.id]
    )
