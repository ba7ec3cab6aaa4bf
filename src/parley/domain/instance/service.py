"""Admin-edited instance settings (stored in the database) and server rules."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import ScalarSelect, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.errors import Invalid, NotFound
from parley.domain.instance.models import InstanceSetting, Rule


class RegistrationMode:
    OPEN = "open"
    APPROVAL = "approval"
    INVITE = "invite"
    CLOSED = "closed"
    ALL = (OPEN, APPROVAL, INVITE, CLOSED)


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    name: str = "Parley"
    description: str = "A Parley social network."
    contact_email: str = ""
    registration_mode: str = RegistrationMode.OPEN
    max_post_chars: int = 1000
    max_poll_options: int = 4
    max_poll_option_chars: int = 50
    min_poll_expiry_seconds: int = 300
    max_poll_expiry_seconds: int = 2_629_746
    max_profile_fields: int = 4
    # Moderation: the response-time target, and the public pages' settings and texts.
    report_response_hours: int = 24
    show_domain_blocks: bool = True
    terms_text: str = ""
    privacy_text: str = ""
    escalation_webhook_url: str = ""  # also POSTed a JSON message for each overdue report


_KEYS = {f.name for f in fields(InstanceInfo)}


# A new random value with every change of the settings, from any process (the CLI too): a
# process that keeps the settings between requests reads only this to know they still hold.
VERSION_KEY = "settings_version"
_local_changes = 0


def local_changes() -> int:
    """How many times this process changed the settings: a version read before a change made
    here is out of date (the request that changes them must show the new ones)."""
    return _local_changes


async def get_instance_info(
    session: AsyncSession, *, max_post_chars_default: int = 1000
) -> InstanceInfo:
    rows = (await session.scalars(select(InstanceSetting))).all()
    stored = {row.key: row.value for row in rows if row.key in _KEYS}
    stored.setdefault("max_post_chars", max_post_chars_default)
    return InstanceInfo(**stored)


def settings_version() -> ScalarSelect[Any]:
    """The settings' current version, as a column to read along with another statement."""
    return select(InstanceSetting.value).where(InstanceSetting.key == VERSION_KEY).scalar_subquery()


class InstanceInfoCache:
    """One database's instance settings kept between requests, read again only when their
    version (settings_version) differs from the one they were read at."""

    def __init__(self, *, max_post_chars_default: int = 1000) -> None:
        self.max_post_chars_default = max_post_chars_default
        self._info: InstanceInfo | None = None
        self._version: Any = None

    async def get(self, session: AsyncSession, version: Any) -> InstanceInfo:
        """The settings at `version`, which the caller read with settings_version() before:
        settings read after their version are at least that new."""
        if self._info is None or self._version != version:
            self._info = await get_instance_info(
                session, max_post_chars_default=self.max_post_chars_default
            )
            self._version = version
        return self._info


async def update_instance_info(session: AsyncSession, **changes: Any) -> InstanceInfo:
    unknown = set(changes) - _KEYS
    if unknown:
        raise Invalid(None, f"Unknown instance settings: {', '.join(sorted(unknown))}")
    if "registration_mode" in changes and changes["registration_mode"] not in RegistrationMode.ALL:
        raise Invalid("registration_mode", f"Must be one of {', '.join(RegistrationMode.ALL)}")
    if "max_post_chars" in changes:
        value = changes["max_post_chars"]
        if not isinstance(value, int) or not 1 <= value <= 100_000:
            raise Invalid("max_post_chars", "Must be a whole number between 1 and 100000")
    global _local_changes
    _local_changes += 1  # a rolled-back change only costs one more read of the version
    changes = {**changes, VERSION_KEY: secrets.token_hex(8)}
    for key, value in changes.items():
        row = await session.get(InstanceSetting, key)
        if row is None:
            session.add(InstanceSetting(key=key, value=value))
        else:
            row.value = value
    await session.flush()
    info = await get_instance_info(session)
    return replace(info)


async def list_rules(session: AsyncSession) -> list[Rule]:
    return list((await session.scalars(select(Rule).order_by(Rule.position, Rule.id))).all())


async def add_rule(session: AsyncSession, *, text: str, hint: str = "") -> Rule:
    text = text.strip()
    if not text or len(text) > 1000:
        raise Invalid("text", "A rule needs between 1 and 1000 characters")
    position = len(await list_rules(session))
    rule = Rule(text=text, hint=hint.strip(), position=position)
    session.add(rule)
    await session.flush()
    return rule


async def remove_rule(session: AsyncSession, *, rule_id: int) -> None:
    result = await session.execute(delete(Rule).where(Rule.id == rule_id))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("No such rule")
