"""Counting requests against limits: in memory by default, in Redis when PARLEY_REDIS_URL is set.

A thin layer over the `limits` library (fixed windows, as Mastodon's rack-attack uses, so
`X-RateLimit-Reset` is the end of the current window). With Redis every process shares the
counters; in memory each process counts on its own. A Redis outage fails open: limits are a
protection, and refusing every request because the counter store is down would be an outage.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

from parley.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limit:
    """`amount` requests per `seconds`, counted per key under `name`."""

    name: str
    amount: int
    seconds: int

    @classmethod
    def parse(cls, name: str, text: str) -> Limit:
        """`"300/5 minutes"`, `"25 per hour"`, ... (the `limits` notation)."""
        item = parse(text)
        return cls(name, item.amount, item.get_expiry())

    def describe(self) -> str:
        return f"{self.amount} per {self.seconds} s"


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: Limit
    remaining: int
    reset_at: float  # Unix time at which the current window ends

    @property
    def retry_after(self) -> int:
        return max(1, int(self.reset_at - time.time() + 0.999))


class RateLimiter:
    def __init__(self, limits: Limits, redis_url: str | None = None) -> None:
        self.limits = limits
        storage: Storage
        if redis_url:
            uri = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
            storage = RedisStorage(
                uri, implementation="redispy", key_prefix="parley-limits", wrap_exceptions=True
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        self._strategy = FixedWindowRateLimiter(storage)
        self._items: dict[Limit, RateLimitItem] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(Limits.from_settings(settings), settings.redis_url)

    def _item(self, limit: Limit) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = RateLimitItemPerSecond(limit.amount, limit.seconds, namespace=limit.name)
            self._items[limit] = item
        return item

    async def _verdict(self, limit: Limit, key: str, allowed: bool) -> Verdict:
        stats = await self._strategy.get_window_stats(self._item(limit), key)
        return Verdict(allowed, limit, stats.remaining, stats.reset_time)

    async def hit(self, limit: Limit, key: str, *, cost: int = 1) -> Verdict:
        """Count one request; the verdict says whether it stayed within the limit."""
        try:
            allowed = await self._strategy.hit(self._item(limit), key, cost=cost)
            return await self._verdict(limit, key, allowed)
        except StorageError as exc:
            log.warning("rate-limit store unavailable, allowing the request: %s", exc)
            return Verdict(True, limit, limit.amount, time.time() + limit.seconds)

    async def peek(self, limit: Limit, key: str) -> Verdict:
        """Whether one more request would be allowed, without counting it."""
        try:
            allowed = await self._strategy.test(self._item(limit), key)
            return await self._verdict(limit, key, allowed)
        except StorageError as exc:
            log.warning("rate-limit store unavailable, allowing the request: %s", exc)
            return Verdict(True, limit, limit.amount, time.time() + limit.seconds)

    async def clear(self, limit: Limit, key: str) -> None:
        await self._strategy.clear(self._item(limit), key)

    async def close(self) -> None:
        """Close the Redis connections, if any (the memory store holds none)."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit Parley applies, from the PARLEY_LIMIT_* settings (docs/operations.md)."""

    per_ip: Limit  # every request from one address
    per_token: Limit  # Mastodon API calls with one access token
    per_account: Limit  # API and web requests of one signed-in member
    api_anonymous: Limit  # API calls without a token, per address
    media_uploads: Limit  # uploads per member
    sign_ups: Limit  # sign-up attempts per address (web form and POST /api/v1/accounts)
    sign_in_ip: Limit  # sign-in, second-factor, password-reset and token requests per address
    sign_in_account: Limit  # failed sign-ins per account name (web and OAuth password grant)
    two_factor: Limit  # wrong second-factor codes per member
    anonymous_paging: Limit  # anonymous requests that page back (max_id, min_id, ...)
    federation_ip: Limit  # ActivityPub inbox deliveries and signed fetches per address

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            **{
                name: Limit.parse(name, getattr(settings, f"limit_{name}"))
                for name in cls.__dataclass_fields__
            }
        )
