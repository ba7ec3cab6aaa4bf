"""The edge's `no_access` list: range matching, when it reloads (a commit in this process, an
announcement from another, the earliest expiry) and what it does when it cannot load."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from datetime import timedelta

import pytest
from starlette.types import Message, Receive, Scope, Send

from parley.db.base import utcnow
from parley.domain.moderation import ip_blocks
from parley.domain.moderation.models import IpBlock
from parley.edge import ip_access
from parley.edge.caller import Caller
from parley.edge.ip_access import (
    CHANNEL,
    IpAccess,
    IpAccessMiddleware,
    RangeTable,
    announce_change,
)
from parley.infra.announce import ORIGIN
from parley.infra.pubsub import MemoryBroker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import staff


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def test_ranges_match_by_prefix_for_both_families() -> None:
    table = RangeTable(
        ipaddress.ip_network(n)
        for n in ("203.0.113.0/24", "192.0.2.7/32", "2001:db8::/32", "10.0.0.0/8")
    )
    assert len(table) == 4
    for inside in ("203.0.113.0", "203.0.113.255", "192.0.2.7", "10.200.1.1", "2001:db8:ffff::1"):
        assert table.covers(_ip(inside)), inside
    assert table.covers(_ip("::ffff:203.0.113.9"))  # IPv4-mapped IPv6 is the IPv4 address
    for outside in ("203.0.114.0", "192.0.2.8", "11.0.0.1", "2001:db9::1", "::1", "127.0.0.1"):
        assert not table.covers(_ip(outside)), outside
    everyone = RangeTable([ipaddress.ip_network("::/0")])
    assert everyone.covers(_ip("2001:db8::1"))
    assert not everyone.covers(_ip("192.0.2.1"))  # ::/0 is IPv6 only
    assert not RangeTable().covers(_ip("192.0.2.1"))


async def _insert(runtime: Runtime, ip: str, **fields: object) -> None:
    """A row written behind Parley's back: no change is counted, nothing is announced."""
    async with runtime.db.transaction() as session:
        session.add(IpBlock(ip=ip, severity=fields.pop("severity", "no_access"), **fields))


async def test_a_commit_in_this_process_reloads_the_list_but_a_rollback_does_not(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "boss", role="admin")
    access = IpAccess(runtime.db, MemoryBroker())
    assert not await access.blocked(_ip("192.0.2.1"))
    before = ip_blocks.changes()

    async def rolled_back() -> None:
        async with runtime.db.transaction() as session:
            await ip_blocks.block_ip(session, actor=admin, ip="192.0.2.0/24", severity="no_access")
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await rolled_back()
    assert ip_blocks.changes() == before
    assert not access.stale()
    async with runtime.db.transaction() as session:
        block = await ip_blocks.block_ip(
            session, actor=admin, ip="192.0.2.0/24", severity="no_access"
        )
        assert ip_blocks.changes() == before  # counted at the commit, not before
    assert ip_blocks.changes() == before + 1
    assert await access.blocked(_ip("192.0.2.1"))
    assert not await access.blocked(None)  # no address known: nothing to match
    async with runtime.db.transaction() as session:
        await ip_blocks.unblock_ip(session, actor=admin, block_id=block.id)
    assert not await access.blocked(_ip("192.0.2.1"))


async def test_only_no_access_blocks_refuse_requests(runtime: Runtime) -> None:
    await _insert(runtime, "192.0.2.0/24", severity="sign_up_block")
    await _insert(runtime, "198.51.100.0/24", severity="sign_up_requires_approval")
    access = IpAccess(runtime.db, MemoryBroker())
    assert not await access.blocked(_ip("192.0.2.1"))
    assert not await access.blocked(_ip("198.51.100.1"))


async def test_another_process_announcement_reloads_the_list(runtime: Runtime) -> None:
    broker = MemoryBroker()
    access = IpAccess(runtime.db, broker)
    access._listens = True  # as with Redis: the announcements reach other processes this way
    access.start_listening()
    try:
        assert not await access.blocked(_ip("192.0.2.1"))
        await asyncio.sleep(0)  # the listener subscribes
        await _insert(runtime, "192.0.2.0/24")
        assert not await access.blocked(_ip("192.0.2.1"))  # cached: nothing said yet
        await broker.publish(CHANNEL, ORIGIN)  # this process's own echo: already reloaded
        await asyncio.sleep(0.01)
        assert not access.stale()
        await broker.publish(CHANNEL, b"another process")
        await asyncio.sleep(0.01)
        assert access.stale()
        assert await access.blocked(_ip("192.0.2.1"))
    finally:
        await access.close()


async def test_announcing_publishes_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    broker = MemoryBroker()
    async with await broker.subscribe([CHANNEL]) as subscription:
        await announce_change(broker)
        assert await anext(subscription) == (CHANNEL, ORIGIN)

    class Down(MemoryBroker):
        async def publish(self, channel: str, message: bytes) -> None:
            raise ConnectionError("redis is down")

    await announce_change(Down())
    assert "could not announce a change" in caplog.text


async def test_the_earliest_expiry_reloads_the_list(runtime: Runtime) -> None:
    now = utcnow()
    await _insert(runtime, "192.0.2.0/24", expires_at=now + timedelta(minutes=10))
    await _insert(runtime, "198.51.100.0/24", expires_at=now + timedelta(minutes=30))
    await _insert(runtime, "203.0.113.0/24")  # for good
    clock = [now]
    access = IpAccess(runtime.db, MemoryBroker(), clock=lambda: clock[0])
    assert await access.blocked(_ip("192.0.2.1"))
    clock[0] = now + timedelta(minutes=11)
    assert access.stale()
    assert not await access.blocked(_ip("192.0.2.1"))
    assert await access.blocked(_ip("198.51.100.1"))
    clock[0] = now + timedelta(days=365)
    assert not await access.blocked(_ip("198.51.100.1"))
    assert await access.blocked(_ip("203.0.113.1"))
    assert not access.stale()  # no expiry left to wait for


async def test_a_failed_load_keeps_the_last_list_and_retries(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await _insert(runtime, "192.0.2.0/24", expires_at=utcnow() + timedelta(minutes=5))
    clock = [utcnow()]
    access = IpAccess(runtime.db, MemoryBroker(), clock=lambda: clock[0])
    assert await access.blocked(_ip("192.0.2.1"))

    async def broken(*_args: object, **_kwargs: object) -> list[ip_blocks.LiveBlock]:
        raise OSError("database unreachable")

    monkeypatch.setattr(ip_blocks, "live_ip_blocks", broken)
    access.forget()
    assert await access.blocked(_ip("192.0.2.1"))  # the last list still applies
    assert "could not load the IP blocks" in caplog.text
    assert not access.stale()  # not retried on every request, but a few seconds later
    assert access._reload_at <= time.monotonic() + ip_access.RETRY_SECONDS
    clock[0] += timedelta(hours=1)  # even past the earliest expiry (it would apply anew...)
    assert not access.stale()  # ...on every request while the database is down)


async def test_concurrent_requests_load_the_list_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _insert(runtime, "192.0.2.0/24")
    loads = []
    real = ip_blocks.live_ip_blocks

    async def counted(*args: object, **kwargs: object) -> list[ip_blocks.LiveBlock]:
        loads.append(1)
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ip_blocks, "live_ip_blocks", counted)
    access = IpAccess(runtime.db, MemoryBroker())
    found = await asyncio.gather(*(access.blocked(_ip("192.0.2.1")) for _ in range(20)))
    assert all(found)
    assert len(loads) == 1


async def test_the_app_lifespan_starts_and_stops_the_listener(runtime: Runtime) -> None:
    """Listening starts with the app and ends as its shutdown begins, before the app closes
    the broker (unsubscribing from a closed Redis broker would open a new connection)."""
    broker = MemoryBroker()
    access = IpAccess(runtime.db, broker)
    access._listens = True
    seen: list[set[str]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["type"] == "lifespan.startup"
        await asyncio.sleep(0.01)  # the listener subscribes
        seen.append(set(broker.hub.subscribers))
        await send({"type": "lifespan.startup.complete"})
        assert (await receive())["type"] == "lifespan.shutdown"
        seen.append(set(broker.hub.subscribers))  # where the app would close the broker
        await send({"type": "lifespan.shutdown.complete"})

    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> Message:
        return next(messages)

    async def send(_message: Message) -> None:
        return None

    middleware = IpAccessMiddleware(app, access=access, caller_of=lambda s: Caller(s, None))
    await middleware({"type": "lifespan"}, receive, send)
    assert seen == [{CHANNEL}, set()]
