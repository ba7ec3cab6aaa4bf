"""Per-process memory of who signed lately, so a busy inbox does not ask the database each time.

`KeyCache`: keyId -> the account whose stored key verified a signature, for a few minutes.
A cached key that no longer verifies (the actor rotated it) falls through to the database
and then to a fresh fetch, so staleness costs one extra verification, never a wrong answer.

`HostMemo`: hosts recorded as healthy in the last minute, so receiving from or delivering to
a healthy host does not touch its row each time. A failure recorded here forgets the host.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from parley.domain.accounts.models import Account


@dataclass(slots=True)
class KeyCache:
    ttl: float = 300.0
    size: int = 4096
    _entries: OrderedDict[str, tuple[float, Account]] = field(default_factory=OrderedDict)

    def get(self, key_id: str) -> Account | None:
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key_id]
            return None
        self._entries.move_to_end(key_id)
        return entry[1]

    def put(self, key_id: str, account: Account) -> None:
        self._entries[key_id] = (time.monotonic() + self.ttl, account)
        self._entries.move_to_end(key_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key_id: str) -> None:
        self._entries.pop(key_id, None)


@dataclass(slots=True)
class HostMemo:
    ttl: float = 60.0
    size: int = 4096
    _healthy: dict[str, float] = field(default_factory=dict)

    def recently_healthy(self, host: str) -> bool:
        until = self._healthy.get(host)
        return until is not None and until > time.monotonic()

    def healthy(self, host: str) -> None:
        if len(self._healthy) >= self.size:
            self._healthy.clear()
        self._healthy[host] = time.monotonic() + self.ttl

    def failed(self, host: str) -> None:
        self._healthy.pop(host, None)
