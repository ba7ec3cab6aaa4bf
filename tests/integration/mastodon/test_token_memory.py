"""The per-process memory of bearer tokens (parley.mastodon.grants): a warm request reads no
token rows, and every way a token ends takes effect on the very next request."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import event, update
from starlette.applications import Starlette

from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, User
from parley.domain.oauth.models import OAuthApplication
from parley.infra.announce import ORIGIN
from parley.infra.pubsub import MemoryBroker, Subscription
from parley.mastodon import grants
from parley.mastodon.grants import Grant, GrantCache
from parley.mastodon.streaming.listeners import build_stream_listeners
from parley.mastodon.watch import Memory
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.mastodon.test_oauth import _register, _token
from tests.integration.moderation.conftest import Staff, staff

__all__ = ["staff"]  # the fixture, shared with the moderation tests

ME = "/api/v1/accounts/verify_credentials"
ADMIN = "read write admin:read admin:write"


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _sign_out_everywhere(runtime: Runtime, caller: Caller) -> None:
    """What a password reset does: every token of the member revoked (domain door)."""
    async with runtime.db.transaction() as session:
        user = await session.get(User, caller.user.id)
        assert user is not None
        await accounts.end_all_sign_ins(session, user=user)


def memory_of(app: Starlette) -> GrantCache:
    """The Mastodon sub-application's memory (it sits behind a top-level route)."""
    for route in app.routes:
        state = getattr(getattr(route, "app", None), "state", None)
        found = getattr(state, "grants", None)
        if isinstance(found, Memory):
            return found
    raise AssertionError("no grant memory in the app")


async def test_a_warm_token_reads_no_token_rows(api: Api, runtime: Runtime, app: Starlette) -> None:
    alice = await api.member("alice")
    await api.call("GET", ME, alice)  # looked up and remembered
    assert len(memory_of(app)) == 1
    with statements(runtime) as seen:
        body = await api.call("GET", ME, alice, schema="CredentialAccount")
    assert body["username"] == "alice"
    assert not [s for s in seen if "oauth_access_tokens" in s]


async def test_revoking_through_the_api_ends_a_remembered_token(
    client: httpx.AsyncClient, members: Members
) -> None:
    await members.create("alice")
    app = await _register(client)
    fields = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    answer = await _token(
        client, grant_type="password", username="alice", password=PASSWORD, **fields
    )
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert (await client.get(ME, headers=headers)).status_code == 200
    revoked = await client.post(
        "/oauth/revoke", data={**fields, "token": answer.json()["access_token"]}
    )
    assert revoked.status_code == 200
    after = await client.get(ME, headers=headers)
    assert after.status_code == 401
    assert after.json() == {"error": "The access token is invalid"}


async def test_signing_out_everywhere_ends_a_remembered_token(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    await api.call("GET", ME, alice)
    await api.call("GET", ME, bob)
    await _sign_out_everywhere(runtime, alice)
    await api.call("GET", ME, alice, status=401)
    await api.call("GET", ME, bob)  # someone else's token keeps working


async def test_a_password_change_ends_a_remembered_token(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    await api.call("GET", ME, alice)
    async with runtime.db.transaction() as session:
        user = await session.get(User, alice.user.id)
        assert user is not None
        await accounts.change_password(
            session, runtime.ctx, user=user, current=PASSWORD, new="another long passphrase"
        )
    await api.call("GET", ME, alice, status=401)


async def test_a_suspension_through_the_admin_api_ends_a_remembered_token(
    api: Api, staff: Staff
) -> None:
    bob = await api.member("bob")
    mod = await staff.caller("mod", "moderator", ADMIN)
    await api.call("GET", ME, bob)
    await api.call(
        "POST",
        f"/api/v1/admin/accounts/{bob.id}/action",
        mod,
        json={"type": "suspend", "text": "Spam"},
    )
    body = await api.call("GET", ME, bob, status=403)
    assert body == {"error": "Your login is currently disabled"}


async def test_a_disabled_user_loses_a_remembered_token(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    await api.call("GET", ME, alice)
    async with runtime.db.transaction() as session:  # a bulk UPDATE, not a loaded row
        await session.execute(update(User).where(User.id == alice.user.id).values(disabled=True))
    await api.call("GET", ME, alice, status=403)


async def test_an_unrelated_commit_keeps_the_memory(
    api: Api, runtime: Runtime, app: Starlette
) -> None:
    alice = await api.member("alice")
    await api.call("GET", ME, alice)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == int(alice.id)).values(display_name="Alice")
        )
    assert len(memory_of(app)) == 1
    body = await api.call("GET", ME, alice)
    # The memory holds the grant only: the profile is read fresh.
    assert body["display_name"] == "Alice"


async def test_settings_are_read_fresh_behind_a_remembered_token(
    api: Api, runtime: Runtime
) -> None:
    alice = await api.member("alice")
    assert (await api.call("GET", "/api/v1/preferences", alice))[
        "posting:default:visibility"
    ] == "public"
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == alice.user.id).values(default_visibility="private")
        )
    prefs = await api.call("GET", "/api/v1/preferences", alice)
    assert prefs["posting:default:visibility"] == "private"


# The memory itself: expiry, a lookup overtaken by a change, other processes' announcements.


def _grant() -> Grant:
    return Grant(1, ("read",), OAuthApplication(name="x"), 2, 3)


def test_an_entry_expires() -> None:
    now = [100.0]
    memory: GrantCache = Memory(grants.WATCH, MemoryBroker(), ttl=10, clock=lambda: now[0])
    memory.put("k", _grant(), memory.generation())
    assert memory.get("k") is not None
    now[0] = 110.0
    assert memory.get("k") is None


def test_a_lookup_overtaken_by_a_change_is_not_kept() -> None:
    memory: GrantCache = Memory(grants.WATCH, MemoryBroker(), ttl=10)
    generation = memory.generation()
    grants.WATCH.committed += 1  # what a commit revoking some token does
    memory.put("k", _grant(), generation)
    assert memory.get("k") is None


class SharedBroker:
    """A broker joining "processes" (not a MemoryBroker, so the memory listens to it)."""

    def __init__(self) -> None:
        self.inner = MemoryBroker()
        self.published: list[tuple[str, bytes]] = []

    async def publish(self, channel: str, message: bytes) -> None:
        self.published.append((channel, message))
        await self.inner.publish(channel, message)

    async def subscribe(self, channels: Iterable[str] = ()) -> Subscription:
        return await self.inner.subscribe(channels)

    async def listening(self, channels: list[str]) -> set[str]:
        return await self.inner.listening(channels)

    async def close(self) -> None:
        return None


async def test_another_process_announcement_empties_the_memory() -> None:
    broker = SharedBroker()
    memory: GrantCache = Memory(grants.WATCH, broker, ttl=10)  # type: ignore[arg-type]
    assert memory.get("k") is None  # starts listening
    await asyncio.sleep(0)
    memory.put("k", _grant(), memory.generation())
    await broker.publish(grants.CHANNEL, b"another process")
    await asyncio.sleep(0)
    assert memory.get("k") is None
    await broker.publish(grants.CHANNEL, ORIGIN)  # its own: already dropped
    memory.put("k", _grant(), memory.generation())
    await asyncio.sleep(0)
    assert memory.get("k") is not None


async def test_a_commit_ending_a_token_is_announced(api: Api, runtime: Runtime) -> None:
    broker = SharedBroker()
    # The broker to announce on, for this database.
    grants.WATCH.announce_on(broker, runtime.db.engine.sync_engine)  # type: ignore[arg-type]
    alice: Caller = await api.member("alice")
    await _sign_out_everywhere(runtime, alice)
    await asyncio.sleep(0)
    assert (grants.CHANNEL, ORIGIN) in broker.published


async def test_a_process_serving_no_api_announces_too(api: Api, runtime: Runtime) -> None:
    """A separate worker builds the stream listeners, not the API: a commit of its jobs ending
    a token would reach the web processes the same way."""
    broker = SharedBroker()
    worker = dataclasses.replace(runtime, broker=broker)  # type: ignore[arg-type]
    build_stream_listeners(worker)
    alice: Caller = await api.member("alice")
    await _sign_out_everywhere(runtime, alice)
    await asyncio.sleep(0)
    assert (grants.CHANNEL, ORIGIN) in broker.published
