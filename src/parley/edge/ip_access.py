"""`no_access` IP blocks refuse every request from their ranges, as in Mastodon, before any
adapter works (the sign-in and token checks in parley.domain.moderation.ip_blocks stay as a
second line).

The ranges in force are kept in memory per process and matched without touching the
database: one set lookup per distinct prefix length. They are loaded again when
- this process commits a change to IP blocks (parley.domain.moderation.ip_blocks.changes);
- another process announces one on the broker (`announce_change`, called by the adapters
  that write blocks; only when PARLEY_REDIS_URL joins processes);
- the earliest expiry among them passes;
- REFRESH_SECONDS have gone by, in case an announcement was lost.

A database that cannot be read keeps the last list (at first: none) and is tried again a few
seconds later, whatever asked for the reload: a broken block list must not take the instance
down with it, nor have every request retry it.

Announcements are heard from the app's startup until its shutdown begins (the middleware
follows the ASGI lifespan), so the listener is gone before the app closes the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.db.engine import Database
from parley.domain.moderation import ip_blocks
from parley.domain.moderation.ip_blocks import NO_ACCESS_MESSAGE, IpSeverity
from parley.edge.caller import Caller, IPAddress, IPNetwork
from parley.edge.doors import Door, door_of
from parley.edge.pages import page
from parley.infra.announce import announce, listen
from parley.infra.pubsub import Broker, MemoryBroker

log = logging.getLogger(__name__)

CHANNEL = "ip_blocks.changed"
REFRESH_SECONDS = 60.0
RETRY_SECONDS = 5.0
# Operators' probes answer whatever the address.
OPEN_PATHS = ("/health",)
JSON_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo")

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RangeTable:
    """Networks matched by masking the address once per prefix length present."""

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        self.by_prefix: dict[tuple[int, int], set[int]] = {}
        for net in networks:
            key = (net.version, net.prefixlen)
            self.by_prefix.setdefault(key, set()).add(int(net.network_address))

    def __len__(self) -> int:
        return sum(len(found) for found in self.by_prefix.values())

    def covers(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        value, version = int(address), address.version
        bits = 32 if version == 4 else 128
        for (net_version, prefix), starts in self.by_prefix.items():
            if net_version == version and (value >> (bits - prefix)) << (bits - prefix) in starts:
                return True
        return False


class IpAccess:
    """The `no_access` ranges in force, as this process last loaded them."""

    def __init__(self, db: Database, broker: Broker, *, clock: Clock = _utcnow) -> None:
        self.db = db
        self.broker = broker
        self.clock = clock
        self.table = RangeTable()
        self._loaded = False
        self._seen = -1  # ip_blocks.changes() at the last load
        self._heard = False  # another process announced a change
        self._expires_at: datetime | None = None  # the earliest expiry among the ranges
        self._reload_at = 0.0  # time.monotonic() of the next periodic reload
        self._backoff_until = 0.0  # after a failed load, no reload before this
        self._lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        # Only brokers that join processes carry news this process did not make itself.
        self._listens = not isinstance(broker, MemoryBroker)

    def stale(self) -> bool:
        if time.monotonic() < self._backoff_until:  # a load failed: give the database time
            return False
        if not self._loaded or self._heard or self._seen != ip_blocks.changes():
            return True
        if time.monotonic() >= self._reload_at:
            return True
        return self._expires_at is not None and self.clock() >= self._expires_at

    def forget(self) -> None:
        """Load again before the next check."""
        self._heard = True

    async def blocked(self, address: IPAddress | None) -> bool:
        if address is None:
            return False
        if self.stale():
            await self._reload()
        return self.table.covers(address)

    async def _reload(self) -> None:
        async with self._lock:
            if not self.stale():  # another request reloaded while this one waited
                return
            seen, self._heard = ip_blocks.changes(), False
            now = self.clock()
            try:
                async with self.db.reader() as session:
                    live = await ip_blocks.live_ip_blocks(
                        session, now=now, severity=IpSeverity.NO_ACCESS
                    )
            except Exception:  # any failure: keep serving with what is known
                log.exception("could not load the IP blocks; retrying in %.0f s", RETRY_SECONDS)
                self._backoff_until = self._reload_at = time.monotonic() + RETRY_SECONDS
                self._loaded, self._seen = True, seen
                return
            self.table = RangeTable(block.network for block in live)
            expiries = [block.expires_at for block in live if block.expires_at is not None]
            self._expires_at = min(expiries, default=None)
            self._reload_at = time.monotonic() + REFRESH_SECONDS
            self._loaded, self._seen = True, seen

    def start_listening(self) -> None:
        """Hear other processes' announcements (from the app's startup until its shutdown)."""
        if self._listens and self._listener is None:
            self._listener = asyncio.create_task(
                listen(self.broker, CHANNEL, self.forget), name="parley-ip-blocks"
            )

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None


async def announce_change(broker: Broker) -> None:
    """Tell the other processes that IP blocks changed (after the commit; this process
    already knows, as the commit counted the change)."""
    await announce(broker, CHANNEL)


def _wants_json(caller: Caller) -> bool:
    path = caller.path
    if path.startswith("/oauth/authorize"):  # the consent page is a page
        return not caller.wants_html
    if path.startswith(JSON_PREFIXES):
        return True
    return door_of(caller) is not Door.WEB


_PAGE_BODY = (
    "<h1>Access blocked</h1><p>Access from your network is blocked on this server.</p>"
    "<p class=muted>If you think this is a mistake, contact the server's administrators "
    "from another network.</p>"
)


def refusal(caller: Caller) -> Response:
    """403 in the door's convention: Mastodon's `{"error": ...}`, or a short page."""
    if _wants_json(caller):
        return Response(
            orjson.dumps({"error": NO_ACCESS_MESSAGE}),
            status_code=403,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )
    return page("Access blocked", _PAGE_BODY, status=403)


class IpAccessMiddleware:
    """`exempt`: callers never refused here, as Mastodon's "allow from localhost" safelist
    comes before its IP blocklist (the safelisted addresses of PARLEY_RATELIMIT_SAFELIST)."""

    def __init__(
        self,
        app: ASGIApp,
        access: IpAccess,
        caller_of: Callable[[Scope], Caller],
        exempt: Callable[[Caller], bool] = lambda _caller: False,
    ) -> None:
        self.app = app
        self.access = access
        self.caller_of = caller_of
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._following_lifespan(receive), send)
            return
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        caller = self.caller_of(scope)
        path = caller.path
        if any(path == p or path.startswith(p + "/") for p in OPEN_PATHS) or self.exempt(caller):
            await self.app(scope, receive, send)
            return
        if not await self.access.blocked(caller.address):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":  # the streaming API: refuse the handshake
            await send({"type": "websocket.close", "code": 1008})
            return
        await refusal(caller)(scope, receive, send)

    def _following_lifespan(self, receive: Receive) -> Receive:
        """Listen for announcements while the app runs: from its startup, until its shutdown
        begins (before the app closes the broker the listener unsubscribes through)."""

        async def watched() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.access.start_listening()
            elif message["type"] == "lifespan.shutdown":
                await self.access.close()
            return message

        return watched
