"""Outbound delivery: shared inboxes once each, give up on 4xx, retry 5xx, skip dead hosts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from parley.activitypub import delivery
from parley.activitypub.federation import Federation
from parley.activitypub.signatures import prepare, verify
from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.federation import service as federation
from parley.domain.federation.models import RemoteHost
from parley.domain.relationships.models import Follow
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.activitypub.conftest import Remote

ACTIVITY: dict[str, Any] = {
    "id": "https://parley.test/x",
    "type": "Like",
    "actor": "a",
    "object": "b",
}


async def remote_account(runtime: Runtime, name: str, host: str, *, shared: bool = True) -> int:
    async with runtime.db.transaction() as session:
        account = await federation.upsert_remote_account(
            session,
            federation.RemoteActor(
                uri=f"https://{host}/users/{name}",
                username=name,
                domain=host,
                inbox_url=f"https://{host}/users/{name}/inbox",
                shared_inbox_url=f"https://{host}/inbox" if shared else None,
                public_key_id=f"https://{host}/users/{name}#main-key",
                public_key_pem="unused",
            ),
        )
        return account.id


async def test_followers_on_one_host_get_one_delivery(members: Members, runtime: Runtime) -> None:
    alice = await members.create("alice")
    ids = [
        await remote_account(runtime, "b1", "mastodon.example"),
        await remote_account(runtime, "b2", "mastodon.example"),
        await remote_account(runtime, "c1", "tiny.example", shared=False),
    ]
    async with runtime.db.transaction() as session:
        for follower_id in ids:
            session.add(Follow(account_id=follower_id, target_id=alice.account_id))
        await session.flush()
        inboxes = await delivery.recipient_inboxes(
            session, followers_of=alice.account_id, account_ids=[ids[0]]
        )
    assert inboxes == ["https://mastodon.example/inbox", "https://tiny.example/users/c1/inbox"]


async def _deliver(
    fed: Federation, alice_id: int, inbox: str = "https://mastodon.example/inbox"
) -> None:
    await delivery.deliver(fed, {"activity": ACTIVITY, "inbox": inbox, "signer_id": alice_id})


async def test_a_delivery_is_a_signed_post(
    members: Members, remote: Remote, fed: Federation, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    await _deliver(fed, alice.account_id)
    [request] = remote.inbox_posts
    assert orjson.loads(request.content) == ACTIVITY
    assert request.headers["content-type"] == "application/activity+json"
    pending = prepare(method="POST", path="/inbox", headers=request.headers, body=request.content)
    async with runtime.db.reader() as session:
        account = await session.get(Account, alice.account_id)
    assert account is not None
    assert account.public_key_pem is not None
    assert pending.key_id == "https://parley.test/users/alice#main-key"
    assert verify(pending, account.public_key_pem)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
async def test_client_errors_are_given_up(
    members: Members, remote: Remote, fed: Federation, status: int
) -> None:
    alice = await members.create("alice")
    remote.inbox_status = status
    await _deliver(fed, alice.account_id)  # returns: the job is done, not retried
    assert len(remote.inbox_posts) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_server_errors_are_retried_and_counted(
    members: Members, remote: Remote, fed: Federation, runtime: Runtime, status: int
) -> None:
    alice = await members.create("alice")
    remote.inbox_status = status
    with pytest.raises(delivery.DeliveryFailed):
        await _deliver(fed, alice.account_id)
    async with runtime.db.reader() as session:
        host = await session.get(RemoteHost, "mastodon.example")
    assert host is not None
    assert host.failures == 1
    assert host.unavailable_until is None


async def test_a_host_failing_for_days_is_skipped_until_it_recovers(
    members: Members, remote: Remote, fed: Federation, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    async with runtime.db.transaction() as session:
        session.add(
            RemoteHost(
                host="mastodon.example", failures=40, first_failure_at=utcnow() - timedelta(days=4)
            )
        )
    remote.inbox_status = 503
    with pytest.raises(delivery.DeliveryFailed):
        await _deliver(fed, alice.account_id)
    async with runtime.db.reader() as session:
        assert not await federation.is_host_available(session, "mastodon.example")
    await _deliver(fed, alice.account_id)  # skipped: no second request
    assert len(remote.inbox_posts) == 1

    follower = await remote_account(runtime, "bob", "mastodon.example")
    async with runtime.db.transaction() as session:
        session.add(Follow(account_id=follower, target_id=alice.account_id))
        await delivery.publish(
            session, ACTIVITY, signer_id=alice.account_id, followers_of=alice.account_id
        )
    job_kinds = await _run_fanout(fed, runtime)
    assert delivery.DELIVER_JOB not in job_kinds

    async with runtime.db.transaction() as session:  # the host writes to us again
        await federation.record_host_success(session, "mastodon.example")
        assert await federation.is_host_available(session, "mastodon.example")


async def _run_fanout(fed: Federation, runtime: Runtime) -> list[str]:
    async with runtime.db.reader() as session:
        job = await session.scalar(select(Job).where(Job.kind == delivery.FANOUT_JOB))
    assert job is not None
    await delivery.fanout(fed, job.payload)
    async with runtime.db.reader() as session:
        return list(await session.scalars(select(Job.kind)))


async def test_the_signing_key_is_read_once_then_remembered(
    members: Members, remote: Remote, fed: Federation, runtime: Runtime
) -> None:
    alice = await members.create("alice")
    await _deliver(fed, alice.account_id)
    # Keys never change after sign-up, so later deliveries sign without reading the account:
    # with the stored key gone, the remembered one still signs.
    async with runtime.db.transaction() as session:
        account = await session.get(Account, alice.account_id)
        assert account is not None
        public_pem, account.private_key_pem = account.public_key_pem, None
    await _deliver(fed, alice.account_id)
    assert len(remote.inbox_posts) == 2
    second = remote.inbox_posts[1]
    pending = prepare(method="POST", path="/inbox", headers=second.headers, body=second.content)
    assert public_pem is not None
    assert verify(pending, public_pem)


async def test_an_unknown_signer_sends_nothing_and_is_not_remembered(
    remote: Remote, fed: Federation
) -> None:
    await _deliver(fed, 987654321)
    assert remote.inbox_posts == []
    assert fed.signers.get(987654321) is None
