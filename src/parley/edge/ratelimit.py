"""Rate limits on every door, before any adapter runs (docs/operations.md lists them).

Mastodon API responses carry X-RateLimit-Limit/Remaining/Reset for the caller's main limit
(per token, or per address without one); a refused request gets 429 in its door's convention:
`{"error": "Too many requests"}` on the API and federation, a short page on the web.

Anonymous requests from one address are also capped in how many may be in flight at once
(PARLEY_ANONYMOUS_CONCURRENCY_PER_IP): one address flooding an expensive page then holds a
few workers' worth of the server, and the rest of its requests are refused, cheaply.

Refusals are answered after PARLEY_RATELIMIT_DELAY_MS (a tarpit): a client that floods over
many connections then waits on each of them instead of looping as fast as the server can
refuse, which is what keeps a one-address flood from taking the process. At most
TARPIT_PER_ADDRESS refusals per address wait at once; past that they are answered at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.edge.doors import SERVER_FETCHED, Door, counts_for, door_of, is_unlimited
from parley.edge.guard import Guard
from parley.edge.pages import rate_headers, too_many
from parley.infra.ratelimit import Limit, Verdict

log = logging.getLogger(__name__)

TARPIT_PER_ADDRESS = 256


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard
        self.in_flight: Counter[str] = Counter()  # anonymous requests running, per address
        self.waiting: Counter[str] = Counter()  # refusals held in the tarpit, per address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guard = self.guard
        if scope["type"] != "http" or not guard.settings.ratelimit_enabled:
            await self.app(scope, receive, send)
            return
        caller = guard.caller(scope)
        if is_unlimited(caller.path) or guard.safelisted(caller):
            await self.app(scope, receive, send)
            return
        door = door_of(caller)
        member = await guard.member(caller)
        limiter = guard.limiter
        verdicts = [
            await limiter.hit(count.limit, count.key)
            for count in counts_for(caller, door, member, limiter.limits)
        ]
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            worst = max(refused, key=lambda v: v.reset_at)
            guard.metrics.rate_limited(door.value, worst.limit.name)
            log.debug(
                "rate limited",
                extra={"limit": worst.limit.name, "door": door.value, "client": caller.ip_key},
            )
            await self._refuse(caller.ip_key, too_many(door, worst), scope, receive, send)
            return
        cap = guard.settings.anonymous_concurrency_per_ip
        # Long-lived streams are not "in flight" the way a page render is; nor are other
        # servers' deliveries and fetches (their headers count only where servers fetch).
        streaming = caller.path.startswith("/api/v1/streaming")
        server = door is Door.FEDERATION and bool(SERVER_FETCHED.match(caller.path))
        if cap and member is None and not server and not streaming:
            key = caller.ip_key
            if self.in_flight[key] >= cap:
                guard.metrics.rate_limited(door.value, "anonymous_concurrency")
                busy = Verdict(False, Limit("anonymous_concurrency", cap, 1), 0, time.time() + 1)
                await self._refuse(key, too_many(door, busy), scope, receive, send)
                return
            self.in_flight[key] += 1
            try:
                await self._forward(door, verdicts, scope, receive, send)
            finally:
                self.in_flight[key] -= 1
                if self.in_flight[key] <= 0:
                    del self.in_flight[key]
            return
        await self._forward(door, verdicts, scope, receive, send)

    async def _refuse(
        self, key: str, response: Response, scope: Scope, receive: Receive, send: Send
    ) -> None:
        delay = self.guard.settings.ratelimit_delay_ms / 1000
        if delay > 0 and self.waiting[key] < TARPIT_PER_ADDRESS:
            self.waiting[key] += 1
            try:
                await asyncio.sleep(delay)
            finally:
                self.waiting[key] -= 1
                if self.waiting[key] <= 0:
                    del self.waiting[key]
        await response(scope, receive, send)

    async def _forward(
        self, door: Door, verdicts: list[Verdict], scope: Scope, receive: Receive, send: Send
    ) -> None:
        limiter = self.guard.limiter
        if door is not Door.API:
            await self.app(scope, receive, send)
            return
        shown = _shown(verdicts, limiter.limits.per_token.name, limiter.limits.api_anonymous.name)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and shown is not None:
                headers = MutableHeaders(scope=message)
                for name, value in rate_headers(shown).items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _shown(verdicts: list[Verdict], *names: str) -> Verdict | None:
    """The API's headers describe the per-token limit, or the per-address one without a token."""
    for verdict in verdicts:
        if verdict.limit.name in names:
            return verdict
    return None
