"""The audit log: one append-only entry per moderator or admin action, written in the same
transaction as the action itself (so neither exists without the other)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.moderation.models import AuditLogEntry


async def write_audit(
    session: AsyncSession,
    *,
    actor: Account,
    action: str,
    target_type: str,
    target_id: int | str,
    reason: str = "",
    **details: Any,
) -> AuditLogEntry:
    entry = AuditLogEntry(
        actor_id=actor.id,
        actor_acct=actor.acct(),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        details=details,
    )
    session.add(entry)
    await session.flush()
    return entry
