"""Outbound delivery: one activity, many inboxes, one durable job per inbox.

publish (in the caller's transaction) -> ap.fanout job (computes the inboxes) -> one
ap.deliver job per inbox (signs and POSTs). A delivery answered 2xx is done; 4xx other than
429 means the remote will never take it, so we give up; 429, 5xx, timeouts and connection
errors are retried by the job queue with its backoff. Hosts failing for days are marked
unavailable (see parley.domain.federation.service) and skipped until their next probe.

Per-host concurrency: a delivery holds one of `delivery_per_host` leases on its host (table
job_slots, shared by every worker process) while it signs and POSTs; when all are taken the
job is postponed a few seconds, without counting an attempt. A lease outlives the HTTP
client's timeouts, so a killed worker's lease frees itself soon after. A process keeps a
lease it is done with for a moment (parley.jobs.slots.SlotKeeper), so its next delivery to
the same host takes it without a database round trip; the POSTs reuse the connections of
the shared client's pool (parley.infra.http).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.activitypub.federation import Federation
from parley.activitypub.signatures import sign_request
from parley.activitypub.signers import SigningKey
from parley.activitypub.vocab import ACTIVITY_JSON, host_of
from parley.domain.accounts.models import Account
from parley.domain.federation import service as federation
from parley.domain.relationships.models import Follow
from parley.infra.http import BlockedDestination, HttpError, post
from parley.jobs.queue import enqueue
from parley.jobs.worker import Postpone

log = logging.getLogger(__name__)

FANOUT_JOB = "ap.fanout"
DELIVER_JOB = "ap.deliver"
# With the queue's backoff (30 s doubling, capped at 12 h) this is about three days.
DELIVERY_ATTEMPTS = 16
# Longer than a POST can take (infra.http: 5 s connect + 10 s per read) with a margin.
SLOT_LEASE = timedelta(minutes=2)


class DeliveryFailed(Exception):
    """The remote server could not take the activity now; the job is retried."""


async def publish(
    session: AsyncSession,
    activity: dict[str, Any],
    *,
    signer_id: int,
    followers_of: int | None = None,
    account_ids: list[int] | None = None,
    everyone: bool = False,
) -> None:
    """Send `activity`, signed by local account `signer_id`, to the remote followers of
    `followers_of` and to the remote accounts `account_ids` (or, with `everyone`, to every
    server we know). Runs in the caller's transaction, so nothing is sent unless it commits."""
    await enqueue(
        session,
        FANOUT_JOB,
        {
            "activity": activity,
            "signer_id": signer_id,
            "followers_of": followers_of,
            "account_ids": sorted(set(account_ids or [])),
            "everyone": everyone,
        },
    )


def _preferred_inbox() -> Any:
    return func.coalesce(Account.shared_inbox_url, Account.inbox_url)


async def recipient_inboxes(
    session: AsyncSession,
    *,
    followers_of: int | None,
    account_ids: list[int],
    everyone: bool = False,
) -> list[str]:
    """Remote inboxes for an audience: shared inboxes where offered, each once."""
    found: set[str] = set()
    if everyone:
        rows = await session.scalars(
            select(_preferred_inbox()).where(Account.domain.is_not(None)).distinct()
        )
        found.update(r for r in rows if r)
    if followers_of is not None:
        rows = await session.scalars(
            select(_preferred_inbox())
            .join(Follow, Follow.account_id == Account.id)
            .where(Follow.target_id == followers_of, Account.domain.is_not(None))
            .distinct()
        )
        found.update(r for r in rows if r)
    if account_ids:
        rows = await session.scalars(
            select(_preferred_inbox()).where(
                Account.id.in_(account_ids), Account.domain.is_not(None)
            )
        )
        found.update(r for r in rows if r)
    return sorted(found)


async def fanout(fed: Federation, payload: dict[str, Any]) -> None:
    """The ap.fanout job: one ap.deliver job per recipient inbox on an available host."""
    async with fed.db.transaction() as session:
        inboxes = await recipient_inboxes(
            session,
            followers_of=payload.get("followers_of"),
            account_ids=payload["account_ids"],
            everyone=bool(payload.get("everyone")),
        )
        for inbox in inboxes:
            if not await federation.is_host_available(session, host_of(inbox)):
                log.info("not delivering to %s: host marked unavailable", inbox)
                continue
            await enqueue(
                session,
                DELIVER_JOB,
                {
                    "activity": payload["activity"],
                    "inbox": inbox,
                    "signer_id": payload["signer_id"],
                },
                max_attempts=DELIVERY_ATTEMPTS,
            )


async def deliver(fed: Federation, payload: dict[str, Any]) -> None:
    """The ap.deliver job: sign and POST one activity to one inbox."""
    inbox: str = payload["inbox"]
    host = host_of(inbox)
    signer_id = int(payload["signer_id"])
    # Both usually known to this process already: then no database read at all.
    signing = fed.signers.get(signer_id)
    available = fed.hosts.recently_healthy(host)
    if signing is None or not available:
        async with fed.db.reader() as session:
            if signing is None:
                signing = await _signing_key(fed, session, signer_id)
            available = available or await federation.is_host_available(session, host)
    if signing is None:
        log.info("not delivering to %s: the signing account is gone", inbox)
        return
    if not available:
        log.info("not delivering to %s: host marked unavailable", inbox)
        return
    held = await fed.leases.take(
        fed.db, f"deliver:{host}", limit=fed.settings.delivery_per_host, lease=SLOT_LEASE
    )
    if held is None:  # the host has its share in flight; spread the retries a little
        raise Postpone(timedelta(seconds=random.uniform(1, 5)))  # noqa: S311
    try:
        await _post(fed, inbox, payload["activity"], signing.key_id, signing.private_key_pem)
    finally:
        await fed.leases.give(fed.db, held)


async def _signing_key(
    fed: Federation, session: AsyncSession, account_id: int
) -> SigningKey | None:
    row = (
        await session.execute(
            select(Account.public_key_id, Account.private_key_pem).where(Account.id == account_id)
        )
    ).one_or_none()
    if row is None or not row.public_key_id or row.private_key_pem is None:
        return None
    key = SigningKey(key_id=row.public_key_id, private_key_pem=row.private_key_pem)
    fed.signers.put(account_id, key)
    return key


async def _post(
    fed: Federation, inbox: str, activity: dict[str, Any], key_id: str, private_key_pem: str
) -> None:
    """Sign and POST; record how the host did. Raises DeliveryFailed to have it retried."""
    host = host_of(inbox)
    body = orjson.dumps(activity)
    headers = sign_request(
        method="POST", url=inbox, key_id=key_id, private_key_pem=private_key_pem, body=body
    )
    headers["Content-Type"] = ACTIVITY_JSON
    headers["Accept"] = ACTIVITY_JSON
    try:
        async with fed.client() as http:
            answer = await post(http, inbox, body=body, headers=headers)
    except BlockedDestination as exc:
        log.warning("not delivering to %s: %s", inbox, exc)
        return
    except HttpError as exc:
        await _failed(fed, host)
        raise DeliveryFailed(str(exc)) from exc
    if 200 <= answer.status < 300:
        if not fed.hosts.recently_healthy(host):
            async with fed.db.transaction() as session:
                await federation.record_host_success(session, host)
            fed.hosts.healthy(host)
        return
    if 400 <= answer.status < 500 and answer.status != 429:
        log.info("delivery to %s refused with %s; giving up", inbox, answer.status)
        return
    await _failed(fed, host)
    raise DeliveryFailed(f"{inbox} answered {answer.status}")


async def _failed(fed: Federation, host: str) -> None:
    fed.hosts.failed(host)
    async with fed.db.transaction() as session:
        await federation.record_host_failure(session, host)
