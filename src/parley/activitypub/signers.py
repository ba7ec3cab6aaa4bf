"""Per-process memory of local accounts' signing keys, so a delivery need not read its signer.

A local account's key pair is made once, at account creation, and never changes; an entry
still expires after a few minutes, so an account removed meanwhile stops signing soon after.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SigningKey:
    key_id: str
    private_key_pem: str


@dataclass(slots=True)
class SignerCache:
    ttl: float = 300.0
    size: int = 1024
    _entries: OrderedDict[int, tuple[float, SigningKey]] = field(default_factory=OrderedDict)

    def get(self, account_id: int) -> SigningKey | None:
        entry = self._entries.get(account_id)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[account_id]
            return None
        return entry[1]

    def put(self, account_id: int, key: SigningKey) -> None:
        self._entries[account_id] = (time.monotonic() + self.ttl, key)
        self._entries.move_to_end(account_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
