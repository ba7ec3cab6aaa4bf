"""Which member a token or session cookie belongs to, remembered for a minute.

Per-member limits and the under-attack exemption for signed-in members need it before any
adapter has looked; caching keeps that to one indexed read per token per minute (unknown
tokens are cached too, so random cookies cost one read each and are still counted per address).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from parley.db.engine import Database
from parley.domain.accounts.service import find_web_session
from parley.domain.oauth.queries import find_token_grant
from parley.edge.caller import digest

TTL_SECONDS = 60.0
MAX_ENTRIES = 20_000


class MemberCache:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[str, tuple[float, str | None]] = {}

    async def _cached(self, key: str, look_up: Callable[[], Awaitable[str | None]]) -> str | None:
        entry = self._known.get(key)
        if entry is not None and entry[0] >= time.monotonic():
            return entry[1]
        member = await look_up()
        if len(self._known) >= MAX_ENTRIES:
            self._known.clear()
        self._known[key] = (time.monotonic() + TTL_SECONDS, member)
        return member

    async def for_token(self, token: str) -> str | None:
        """`account:<id>` for a member's token, `app:<digest>` for an app token, else None."""

        async def look_up() -> str | None:
            async with self.db.reader() as session:
                grant = await find_token_grant(session, token)
            if grant is None:
                return None
            if grant.account is None:
                return f"app:{digest(token)}"
            return f"account:{grant.account.id}"

        return await self._cached("t" + digest(token), look_up)

    async def for_session(self, cookie: str) -> str | None:
        """`account:<id>` for a live web session, else None."""

        async def look_up() -> str | None:
            async with self.db.reader() as session:
                found = await find_web_session(session, cookie)
            return f"account:{found[1].id}" if found else None

        return await self._cached("s" + digest(cookie), look_up)

    def forget(self) -> None:
        self._known.clear()
