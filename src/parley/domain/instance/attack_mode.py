"""Under-attack mode: on by an admin's choice, or on by itself for a while under load.

Stored as instance settings so every web process sees the same state (each re-reads it every
few seconds). `manual` is the admin's switch; `auto_until` is set by whichever process saw
the load (docs/operations.md states the rule), and lapses by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.instance.models import InstanceSetting

MANUAL_KEY = "under_attack"
AUTO_KEY = "under_attack_auto_until"


@dataclass(frozen=True, slots=True)
class AttackMode:
    manual: bool = False
    auto_until: datetime | None = None

    def active(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return self.manual or (self.auto_until is not None and self.auto_until > now)


async def get_attack_mode(session: AsyncSession) -> AttackMode:
    rows = await session.execute(
        select(InstanceSetting.key, InstanceSetting.value).where(
            InstanceSetting.key.in_((MANUAL_KEY, AUTO_KEY))
        )
    )
    values: dict[str, Any] = dict(rows.all())
    auto = values.get(AUTO_KEY)
    return AttackMode(
        manual=values.get(MANUAL_KEY) is True,
        auto_until=datetime.fromisoformat(auto) if isinstance(auto, str) and auto else None,
    )


async def _store(session: AsyncSession, key: str, value: object) -> None:
    row = await session.get(InstanceSetting, key)
    if row is None:
        session.add(InstanceSetting(key=key, value=value))
    else:
        row.value = value
    await session.flush()


async def set_under_attack(session: AsyncSession, *, on: bool) -> AttackMode:
    """The admin's switch. Turning it off also ends an automatic period."""
    await _store(session, MANUAL_KEY, on)
    if not on:
        await _store(session, AUTO_KEY, None)
    return await get_attack_mode(session)


async def extend_automatic(session: AsyncSession, *, until: datetime) -> AttackMode:
    """Turn automatic mode on (or keep it on) until `until`."""
    current = await get_attack_mode(session)
    if current.auto_until is None or current.auto_until < until:
        await _store(session, AUTO_KEY, until.isoformat())
    return await get_attack_mode(session)
