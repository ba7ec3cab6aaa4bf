"""Commands and reads on federation state: remote accounts, inbound activities, host health.

The ActivityPub adapter validates and translates documents; these functions take plain data
and never see a JSON-LD document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.accounts.models import Account
from parley.domain.federation.models import InboxActivity, InstanceKey, RemoteHost
from parley.domain.moderation.blocks import apply_domain_block
from parley.infra.keys import KeyPair, generate_keypair

INSTANCE_KEY = "instance_actor"
# A host that has failed for this long without one success stops getting deliveries...
UNAVAILABLE_AFTER = timedelta(days=3)
# ...except one probe per this period.
PROBE_EVERY = timedelta(days=1)


@dataclass(slots=True)
class RemoteActor:
    """What we keep of a remote actor document (already validated by the adapter)."""

    uri: str
    username: str
    domain: str
    inbox_url: str
    public_key_id: str
    public_key_pem: str
    display_name: str = ""
    note_html: str = ""
    url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    locked: bool = False
    bot: bool = False
    discoverable: bool = False
    avatar_url: str | None = None
    header_url: str | None = None
    fields: list[dict[str, Any]] = field(default_factory=list)
    also_known_as: list[str] = field(default_factory=list)
    # Where the actor says it moved (movedTo); checked and resolved by the adapter.
    moved_to_uri: str | None = None


async def find_account_by_uri(session: AsyncSession, uri: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.uri == uri))


async def find_account_by_key_id(session: AsyncSession, key_id: str) -> Account | None:
    """The account owning `key_id`; tries the URI before the fragment first (indexed)."""
    owner_uri = key_id.split("#", 1)[0]
    account = await find_account_by_uri(session, owner_uri)
    if account is not None and account.public_key_id == key_id:
        return account
    return await session.scalar(select(Account).where(Account.public_key_id == key_id).limit(1))


async def upsert_remote_account(session: AsyncSession, actor: RemoteActor) -> Account:
    """Create or refresh the remote account for `actor` (matched by URI)."""
    account = await find_account_by_uri(session, actor.uri)
    if account is not None and account.domain is None:
        raise ValueError("a remote document may not overwrite a local account")
    if account is None:
        # The same name on the same host under a new URI: the old actor is gone; free the name.
        stale = await session.scalar(
            select(Account).where(
                Account.username_lower == actor.username.lower(), Account.domain == actor.domain
            )
        )
        if stale is not None:
            stale.username_lower = f"{stale.username_lower}~{stale.id}"[:64]
            await session.flush()
        account = Account(uri=actor.uri, username=actor.username, domain=actor.domain)
        session.add(account)
    account.username = actor.username
    account.username_lower = actor.username.lower()
    account.domain = actor.domain
    account.display_name = actor.display_name[:100]
    account.note_html = actor.note_html
    account.note = ""
    account.url = actor.url
    account.inbox_url = actor.inbox_url
    account.shared_inbox_url = actor.shared_inbox_url
    account.outbox_url = actor.outbox_url
    account.followers_url = actor.followers_url
    account.public_key_id = actor.public_key_id
    account.public_key_pem = actor.public_key_pem
    account.locked = actor.locked
    account.bot = actor.bot
    account.discoverable = actor.discoverable
    account.avatar_url = actor.avatar_url
    account.header_url = actor.header_url
    account.fields = actor.fields
    account.also_known_as = actor.also_known_as
    account.fetched_at = utcnow()
    await session.flush()
    await apply_domain_block(session, account)
    return account


async def record_inbox_activity(
    session: AsyncSession, *, activity_id: str, actor_uri: str, type: str, raw: dict[str, Any]
) -> int | None:
    """Store a received activity and return its row id; None when it was already received
    (a replay, or a concurrent delivery of the same activity that won the race).

    One INSERT ... ON CONFLICT DO NOTHING: the inbox's hot path, so no read before it."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row_id = new_id()
    stored = await session.scalar(
        insert(InboxActivity)
        .values(
            id=row_id,
            activity_id=activity_id,
            actor_uri=actor_uri,
            type=type[:64],
            raw=raw,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[InboxActivity.activity_id])
        .returning(InboxActivity.id)
    )
    return None if stored is None else int(stored)


async def mark_processed(session: AsyncSession, row: InboxActivity, error: str | None) -> None:
    row.processed_at = utcnow()
    row.error = error
    await session.flush()


async def get_instance_key(session: AsyncSession) -> KeyPair:
    """The instance actor's key pair, generated on first use."""
    row = await session.get(InstanceKey, INSTANCE_KEY)
    if row is None:
        keys = await generate_keypair()
        try:
            async with session.begin_nested():
                session.add(
                    InstanceKey(
                        name=INSTANCE_KEY,
                        public_key_pem=keys.public_pem,
                        private_key_pem=keys.private_pem,
                    )
                )
                await session.flush()
        except IntegrityError:  # another process made it first; use theirs
            pass
        row = await session.get(InstanceKey, INSTANCE_KEY, populate_existing=True)
        if row is None:
            raise RuntimeError("instance key vanished after creation")
    return KeyPair(row.private_key_pem, row.public_key_pem)


async def _host(session: AsyncSession, host: str) -> RemoteHost:
    row = await session.get(RemoteHost, host)
    if row is None:
        row = RemoteHost(host=host, failures=0)
        session.add(row)
    return row


async def is_host_available(session: AsyncSession, host: str) -> bool:
    row = await session.get(RemoteHost, host)
    return row is None or row.unavailable_until is None or row.unavailable_until <= utcnow()


async def record_host_success(session: AsyncSession, host: str) -> None:
    """A delivery went through, or the host spoke to us: it is up."""
    row = await session.get(RemoteHost, host)
    if row is None or (row.failures == 0 and row.unavailable_until is None):
        return  # the common case writes nothing
    row.failures = 0
    row.first_failure_at = None
    row.unavailable_until = None
    row.last_success_at = utcnow()
    await session.flush()


async def record_host_failure(session: AsyncSession, host: str) -> None:
    now = utcnow()
    row = await _host(session, host)
    row.failures += 1
    row.last_failure_at = now
    if row.first_failure_at is None:
        row.first_failure_at = now
    if now - row.first_failure_at >= UNAVAILABLE_AFTER:
        row.unavailable_until = now + PROBE_EVERY
    await session.flush()
