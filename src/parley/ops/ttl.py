"""A one-value cache that forgets after a few seconds of monotonic time.

/health is exempt from every limit, so a flood of probes must not become a flood of queries:
the readiness answer is reused for a short window, and concurrent probes share one check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TtlValue(Generic[T]):
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self._value: T | None = None
        self._expires = float("-inf")

    async def get(self, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached value while fresh, else `compute()`'s (one caller computes at a time)."""
        async with self._lock:
            if self._value is None or self._clock() >= self._expires:
                self._value = await compute()
                self._expires = self._clock() + self._seconds
            return self._value
