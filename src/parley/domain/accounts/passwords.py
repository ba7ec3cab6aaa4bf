"""Password hashing with argon2id, run in a worker thread so the event loop keeps serving."""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from parley.domain.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 128


class Passwords:
    def __init__(self, *, time_cost: int, memory_cost_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        check_password_rules(password)
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def _verify() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(_verify)

    async def verify_nothing(self, password: str) -> None:
        """Spend the time of a real verification (for logins that do not exist)."""
        if self._dummy is None:
            self._dummy = await anyio.to_thread.run_sync(self._hasher.hash, "not a password")
        await self.verify(self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid("password", f"Password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise Invalid("password", f"Password must be at most {MAX_LENGTH} characters long")
