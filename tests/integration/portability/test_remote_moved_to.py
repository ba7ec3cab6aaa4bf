"""A remote actor's movedTo, read when Parley fetches or refreshes the actor: shown as
"moved" (profile, API) only when the target lists the actor as an alias, and never moving
anyone's follows (only a verified Move does that)."""

from __future__ import annotations

import httpx

from parley.activitypub.from_ap import parse_actor
from parley.domain.accounts.models import Account
from parley.domain.events import Event, record
from parley.domain.portability import migration
from tests.integration.activitypub.test_two_instances import (
    Instance,
    follow_alice_from_bob,
    pair,
    settle,
)
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.portability.test_move_between_instances import _by_uri, _follows

__all__ = ["pair"]  # the fixture, shared with the federation tests


async def _point_to(a: Instance, account_id: int, address: str | None) -> None:
    """On A, the account's actor says movedTo `address` (no Move is sent)."""
    target_id = None
    if address is not None:
        target_id = await a.runtime.ctx.resolve_remote_account(address)
        assert target_id is not None
    async with a.runtime.db.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        account.moved_to_id = target_id


async def _moved_to_on_b(b: Instance, uri: str) -> int | None:
    assert await b.runtime.ctx.refresh_remote_account(uri) is not None
    found = await _by_uri(b, uri)
    assert found is not None
    return found.moved_to_id


async def _alice_and_her_alias(a: Instance, b: Instance) -> tuple[Account, Account, Account]:
    """alice@a followed by bob@b; alicenew@b lists alice as an alias."""
    alice, bob = await follow_alice_from_bob(a, b)
    alicenew = await b.member("alicenew")
    await migration.add_alias(
        b.runtime.db, b.runtime.ctx, account_id=alicenew.id, address="alice@a.test"
    )
    return alice, bob, alicenew


async def test_a_fetched_actor_s_moved_to_is_shown_but_moves_no_follows(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice, bob, alicenew = await _alice_and_her_alias(a, b)
    stranger = await b.member("stranger")
    await settle(a, b)

    # movedTo an account that does not list alice: not believed.
    await _point_to(a, alice.id, "stranger@b.test")
    assert await _moved_to_on_b(b, alice.uri) is None
    assert stranger.id

    # movedTo alicenew, which lists alice: shown, but bob's follow stays where it was.
    await _point_to(a, alice.id, "alicenew@b.test")
    assert await _moved_to_on_b(b, alice.uri) == alicenew.id
    remote_alice = await _by_uri(b, alice.uri)
    assert remote_alice is not None
    assert await _follows(b, bob.id, remote_alice.id)
    assert not await _follows(b, bob.id, alicenew.id)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=b.app), base_url="https://b.test"
    ) as client:
        entity = (await client.get(f"/api/v1/accounts/{remote_alice.id}")).json()
        assert entity["moved"]["id"] == str(alicenew.id)
        assert_conforms(entity, "Account")
        profile = await client.get("/@alice@a.test")
        assert profile.status_code == 200
        assert "has moved to" in profile.text

    # The actor no longer says it moved (Mastodon lets a member cancel the redirect).
    await _point_to(a, alice.id, None)
    assert await _moved_to_on_b(b, alice.uri) is None


async def test_an_actor_update_carries_moved_to(pair: tuple[Instance, Instance]) -> None:
    """An Update of the actor (as sent before a Move) sets it too, without the Move."""
    a, b = pair
    alice, bob, alicenew = await _alice_and_her_alias(a, b)
    await _point_to(a, alice.id, "alicenew@b.test")
    async with a.runtime.db.transaction() as session:
        await record(session, Event.PROFILE_UPDATED, account_id=alice.id)
    await settle(a, b)
    remote_alice = await _by_uri(b, alice.uri)
    assert remote_alice is not None
    assert remote_alice.moved_to_id == alicenew.id
    assert await _follows(b, bob.id, remote_alice.id)


def test_moved_to_must_be_an_http_url() -> None:
    base = {
        "id": "https://a.test/users/x",
        "type": "Person",
        "preferredUsername": "x",
        "inbox": "https://a.test/users/x/inbox",
        "publicKey": {
            "id": "https://a.test/users/x#main-key",
            "owner": "https://a.test/users/x",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
        },
    }
    for value, expected in [
        ("https://b.test/users/y", "https://b.test/users/y"),
        ({"id": "https://b.test/users/y", "type": "Person"}, "https://b.test/users/y"),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("not a url", None),
        (42, None),
        (None, None),
    ]:
        assert parse_actor({**base, "movedTo": value}).moved_to_uri == expected, value
