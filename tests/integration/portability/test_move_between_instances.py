"""A member moves from instance A to instance B; their followers on both follow along.

Uses the two in-process instances of the federation tests: every request goes through the
real outbound client, signatures, inboxes and job queues.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select

from parley.activitypub.delivery import publish
from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid
from parley.domain.federation.models import InboxActivity
from parley.domain.portability import migration
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow
from tests.integration.activitypub.test_two_instances import (
    Instance,
    follow_alice_from_bob,
    pair,
    settle,
)

__all__ = ["pair"]  # the fixture, shared with the federation tests
PASSWORD = "correct horse battery staple"


async def _follow_locally(instance: Instance, follower: Account, target: Account) -> None:
    async with instance.runtime.db.transaction() as session:
        one = await session.get(Account, follower.id)
        other = await session.get(Account, target.id)
        assert one is not None
        assert other is not None
        await relationships.follow_account(session, follower=one, target=other)


async def _by_uri(instance: Instance, uri: str) -> Account | None:
    async with instance.runtime.db.reader() as session:
        return await session.scalar(select(Account).where(Account.uri == uri))


async def _follows(instance: Instance, follower_id: int, target_id: int) -> bool:
    async with instance.runtime.db.reader() as session:
        found = await session.scalar(
            select(Follow.id).where(Follow.account_id == follower_id, Follow.target_id == target_id)
        )
    return found is not None


async def _setup(pair: tuple[Instance, Instance]) -> tuple[Account, Account, Account, Account]:
    """alice@a followed by bob@b and carol@a; alicenew@b, which lists alice as an alias."""
    a, b = pair
    alice, bob = await follow_alice_from_bob(a, b)
    carol = await a.member("carol")
    await _follow_locally(a, carol, alice)
    alicenew = await b.member("alicenew")
    uri = await migration.add_alias(
        b.runtime.db, b.runtime.ctx, account_id=alicenew.id, address="alice@a.test"
    )
    assert uri == alice.uri
    await settle(a, b)
    return alice, bob, carol, alicenew


async def test_followers_on_both_instances_follow_the_moved_account(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice, bob, carol, alicenew = await _setup(pair)

    target = await migration.move_account(
        a.runtime.db,
        a.runtime.ctx,
        account_id=alice.id,
        password=PASSWORD,
        target_address="alicenew@b.test",
    )
    assert target.uri == alicenew.uri
    await settle(a, b)

    # On A: carol now follows alicenew@b (accepted by B), and nobody follows alice any more.
    remote_new = await _by_uri(a, alicenew.uri)
    assert remote_new is not None
    assert await _follows(a, carol.id, remote_new.id)
    assert not await _follows(a, carol.id, alice.id)
    async with a.runtime.db.reader() as session:
        old = await session.get(Account, alice.id)
        assert old is not None
        assert old.moved_to_id == remote_new.id
        assert old.followers_count == 0
    # On B: bob follows alicenew, and knows alice moved there.
    assert await _follows(b, bob.id, alicenew.id)
    remote_alice = await _by_uri(b, alice.uri)
    assert remote_alice is not None
    assert remote_alice.moved_to_id == alicenew.id
    assert not await _follows(b, bob.id, remote_alice.id)
    async with b.runtime.db.reader() as session:
        new = await session.get(Account, alicenew.id)
        assert new is not None
        assert new.followers_count == 2

    # The old actor says where it went.
    async with a.fed.client() as http:
        actor = await http.get(alice.uri, headers={"Accept": "application/activity+json"})
    assert orjson.loads(actor.content)["movedTo"] == alicenew.uri


async def test_a_move_to_an_account_without_the_alias_is_refused(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice, _bob = await follow_alice_from_bob(a, b)
    stranger = await b.member("stranger")
    with pytest.raises(Invalid, match="alias"):
        await migration.move_account(
            a.runtime.db,
            a.runtime.ctx,
            account_id=alice.id,
            password=PASSWORD,
            target_address="stranger@b.test",
        )
    with pytest.raises(Invalid, match="password"):
        await migration.move_account(
            a.runtime.db,
            a.runtime.ctx,
            account_id=alice.id,
            password="wrong",
            target_address="stranger@b.test",
        )
    async with a.runtime.db.reader() as session:
        old = await session.get(Account, alice.id)
        assert old is not None
        assert old.moved_to_id is None
    assert stranger.id


async def _send(a: Instance, b: Instance, signer: Account, activity: dict[str, Any]) -> str:
    """Deliver `activity` signed by `signer` (on A) to B; returns B's verdict on it."""
    remote_bob = await _by_uri(a, "https://b.test/users/bob")
    assert remote_bob is not None
    async with a.runtime.db.transaction() as session:
        await publish(session, activity, signer_id=signer.id, account_ids=[remote_bob.id])
    for _ in range(5):
        await a.worker.drain()
        await b.worker.drain()
    async with b.runtime.db.reader() as session:
        row = await session.scalar(
            select(InboxActivity).where(InboxActivity.activity_id == activity["id"])
        )
    assert row is not None
    assert row.processed_at is not None
    return row.error or ""


async def test_forged_moves_change_nothing(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice, bob, _carol, alicenew = await _setup(pair)
    mallory = await a.member("mallory")
    stranger = await b.member("stranger")
    remote_alice = await _by_uri(b, alice.uri)
    assert remote_alice is not None

    # Someone else claims alice moved (to an account that does list alice as an alias).
    verdict = await _send(
        a,
        b,
        mallory,
        {
            "id": f"{mallory.uri}#moves/forged",
            "type": "Move",
            "actor": mallory.uri,
            "object": alice.uri,
            "target": alicenew.uri,
        },
    )
    assert "only move itself" in verdict
    # alice herself "moves" to an account that never listed her.
    verdict = await _send(
        a,
        b,
        alice,
        {
            "id": f"{alice.uri}#moves/unlisted",
            "type": "Move",
            "actor": alice.uri,
            "object": alice.uri,
            "target": stranger.uri,
        },
    )
    assert "alsoKnownAs" in verdict
    # A Move without a target.
    verdict = await _send(
        a,
        b,
        alice,
        {
            "id": f"{alice.uri}#moves/nowhere",
            "type": "Move",
            "actor": alice.uri,
            "object": alice.uri,
        },
    )
    assert "needs a target" in verdict

    assert await _follows(b, bob.id, remote_alice.id)
    assert not await _follows(b, bob.id, alicenew.id)
    assert not await _follows(b, bob.id, stranger.id)
    async with b.runtime.db.reader() as session:
        stored = await session.get(Account, remote_alice.id)
    assert stored is not None
    assert stored.moved_to_id is None
