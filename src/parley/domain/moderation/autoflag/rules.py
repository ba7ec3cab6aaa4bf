"""The three automated rules, what each does when it fires, and the admin's commands to change
them and the threat lexicon. Only admins (Permission.MANAGE_SETTINGS) edit; every edit is in
the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid, NotFound, get_or_404
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.autoflag import lexicon
from parley.domain.moderation.autoflag.models import (
    AutoflagRule,
    FlagAction,
    LexiconEntry,
    RuleKey,
)
from parley.domain.moderation.permissions import Permission, require

# The spam heuristics' limits: (default, lowest, highest).
SPAM_PARAMS: dict[str, tuple[int, int, int]] = {
    "new_account_days": (7, 0, 365),
    "min_links": (1, 1, 50),
    "min_stranger_mentions": (3, 1, 100),
}
# The highest threshold each rule accepts (the lowest is just above 0).
MAX_THRESHOLD = {RuleKey.PROFANITY: 1.0, RuleKey.THREAT: 100.0, RuleKey.SPAM: 1.0}


@dataclass(frozen=True, slots=True)
class RuleConfig:
    key: str
    action: str
    threshold: float
    params: dict[str, int] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.action != FlagAction.OFF


DEFAULTS = {
    # Profanity is not against the rules by itself: labelled for moderators.
    RuleKey.PROFANITY: RuleConfig(RuleKey.PROFANITY, FlagAction.LABEL, 0.9),
    # A threat of violence waits for a moderator before anyone sees it.
    RuleKey.THREAT: RuleConfig(RuleKey.THREAT, FlagAction.HOLD, 1.0),
    # A new account sending links to strangers en masse: held, so no one is notified.
    RuleKey.SPAM: RuleConfig(
        RuleKey.SPAM, FlagAction.HOLD, 1.0, {k: v[0] for k, v in SPAM_PARAMS.items()}
    ),
}


async def load_rules(session: AsyncSession) -> dict[str, RuleConfig]:
    rules = dict(DEFAULTS)
    for row in await session.scalars(select(AutoflagRule)):
        if row.key in rules:
            params = {**DEFAULTS[row.key].params, **(row.params or {})}
            rules[row.key] = RuleConfig(row.key, row.action, row.threshold, params)
    return rules


def _check_params(params: dict[str, Any]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for name, (default, low, high) in SPAM_PARAMS.items():
        value = params.get(name, default)
        if isinstance(value, str):
            value = int(value) if value.strip().isdigit() else None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise Invalid(name, f"{name.replace('_', ' ')} is a whole number from {low} to {high}")
        checked[name] = value
    return checked


async def update_rule(
    session: AsyncSession,
    *,
    actor: Account,
    key: str,
    action: str,
    threshold: float | None,
    params: dict[str, Any] | None = None,
) -> RuleConfig:
    await require(session, actor, Permission.MANAGE_SETTINGS)
    if key not in RuleKey.ALL:
        raise NotFound("There is no such rule")
    if action not in FlagAction.ALL:
        raise Invalid("action", f"The action is one of {', '.join(FlagAction.ALL)}")
    highest = MAX_THRESHOLD[key]
    if threshold is None or not 0 < threshold <= highest:
        raise Invalid("threshold", f"The threshold is a number above 0 and at most {highest:g}")
    checked = _check_params(params or {}) if key == RuleKey.SPAM else {}
    row = await session.get(AutoflagRule, key)
    if row is None:
        row = AutoflagRule(key=key)
        session.add(row)
    row.action, row.threshold, row.params = action, float(threshold), checked
    await session.flush()
    await write_audit(
        session,
        actor=actor,
        action="autoflag.rule",
        target_type="autoflag_rule",
        target_id=key,
        rule_action=action,
        threshold=threshold,
        params=checked,
    )
    return RuleConfig(key, action, float(threshold), checked)


async def lexicon_for_admin(session: AsyncSession, *, actor: Account) -> list[lexicon.Entry]:
    """The lexicon, as rows an admin can edit: the shipped defaults are copied into the
    table the first time an admin opens it (once; later edits are the admin's)."""
    await require(session, actor, Permission.MANAGE_SETTINGS)
    await lexicon.materialize(session)
    return await lexicon.active_entries(session)


async def save_lexicon_entry(
    session: AsyncSession,
    *,
    actor: Account,
    pattern: str,
    weight: float | None,
    is_regex: bool = False,
    note: str = "",
    entry_id: int | None = None,
) -> LexiconEntry:
    """Add an entry, or change entry `entry_id`; a bad one is refused and nothing changes."""
    await require(session, actor, Permission.MANAGE_SETTINGS)
    entry = lexicon.check_entry(pattern, weight, is_regex, note)
    await lexicon.materialize(session)
    if entry_id is None:
        count = await session.scalar(select(func.count()).select_from(LexiconEntry))
        if (count or 0) >= lexicon.MAX_ENTRIES:
            raise Invalid("pattern", f"The lexicon holds at most {lexicon.MAX_ENTRIES} entries")
        row = LexiconEntry()
        session.add(row)
        before = None
    else:
        row = await _get_entry(session, entry_id)
        before = row.pattern
    row.pattern, row.weight, row.is_regex, row.note = (
        entry.pattern,
        entry.weight,
        entry.is_regex,
        entry.note,
    )
    await session.flush()
    await write_audit(
        session, actor=actor, target_type="lexicon_entry", target_id=row.id,
        action="autoflag.lexicon." + ("add" if before is None else "update"),
        before=before, pattern=row.pattern, weight=row.weight, is_regex=row.is_regex,
    )  # fmt: skip
    return row


async def _get_entry(session: AsyncSession, entry_id: int) -> LexiconEntry:
    return await get_or_404(
        session,
        LexiconEntry,
        entry_id,
        "This lexicon entry does not exist (it may have been removed)",
    )


async def remove_lexicon_entry(session: AsyncSession, *, actor: Account, entry_id: int) -> None:
    await require(session, actor, Permission.MANAGE_SETTINGS)
    row = await _get_entry(session, entry_id)
    await session.delete(row)
    await session.flush()
    await write_audit(
        session, actor=actor, action="autoflag.lexicon.remove", target_type="lexicon_entry",
        target_id=entry_id, pattern=row.pattern,
    )  # fmt: skip
