"""The instance's public policies: terms, privacy, the registration mode, the response-time
target and whether the blocked-domains list is public. Admins edit them; each change is audited."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid
from parley.domain.instance.models import Rule
from parley.domain.instance.service import (
    InstanceInfo,
    RegistrationMode,
    add_rule,
    remove_rule,
    update_instance_info,
)
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.permissions import Permission, require

MAX_TEXT = 50_000

DEFAULT_TERMS = """\
By using {name} you agree to these terms and to the server rules.

Not allowed here: content that incites or threatens violence against people or groups; \
harassment, including targeted abuse and doxxing; content sexualising minors; illegal \
content; spam and scams; impersonation. The server rules list the details.

Anyone can report a parley or an account with the Report item of its menu (or from any \
Mastodon app). Moderators review reports, aiming to respond within {hours} hours, and may \
remove content, warn, freeze, limit or suspend accounts. Members are told why, and may \
appeal each decision once; another moderator decides the appeal.

You can block and mute anyone, and hide content with filters.

Contact and abuse reports: {contact}.
"""

DEFAULT_PRIVACY = """\
{name} stores what you give it: your e-mail address, your password (hashed), your profile, \
your parleys and your interactions, and the address your browser connects from for security.

Public parleys are sent to the servers of your followers and of the people you mention \
(federation). Followers-only and direct parleys go only to their audience.

You can delete your parleys and your account at any time from the settings; deletion is \
sent to the other servers that received them.

Questions and requests: {contact}.
"""


def terms_text(info: InstanceInfo) -> str:
    return info.terms_text or DEFAULT_TERMS.format(
        name=info.name, hours=info.report_response_hours, contact=info.contact_email or "—"
    )


def privacy_text(info: InstanceInfo) -> str:
    return info.privacy_text or DEFAULT_PRIVACY.format(
        name=info.name, contact=info.contact_email or "—"
    )


async def update_policies(
    session: AsyncSession,
    *,
    actor: Account,
    report_response_hours: int,
    show_domain_blocks: bool,
    terms_text: str,
    privacy_text: str,
    contact_email: str,
    escalation_webhook_url: str = "",
    registration_mode: str | None = None,
) -> InstanceInfo:
    await require(session, actor, Permission.MANAGE_SETTINGS)
    if registration_mode is not None and registration_mode not in RegistrationMode.ALL:
        raise Invalid("registration_mode", f"Must be one of {', '.join(RegistrationMode.ALL)}")
    if not 1 <= report_response_hours <= 24 * 14:
        raise Invalid("report_response_hours", "The target is between 1 and 336 hours")
    contact_email = contact_email.strip()
    if contact_email and ("@" not in contact_email or len(contact_email) > 320):
        raise Invalid("contact_email", "Give an e-mail address")
    escalation_webhook_url = escalation_webhook_url.strip()
    if escalation_webhook_url and (
        not escalation_webhook_url.startswith(("https://", "http://"))
        or len(escalation_webhook_url) > 2000
    ):
        raise Invalid("escalation_webhook_url", "Give an https:// address")
    for name, text in (("terms_text", terms_text), ("privacy_text", privacy_text)):
        if len(text) > MAX_TEXT:
            raise Invalid(name, f"At most {MAX_TEXT} characters")
    changes = {
        "report_response_hours": report_response_hours,
        "show_domain_blocks": show_domain_blocks,
        "terms_text": terms_text.strip(),
        "privacy_text": privacy_text.strip(),
        "contact_email": contact_email,
        "escalation_webhook_url": escalation_webhook_url,
    }
    if registration_mode is not None:
        changes["registration_mode"] = registration_mode
    info = await update_instance_info(session, **changes)
    await write_audit(
        session,
        actor=actor,
        action="settings.update",
        target_type="instance",
        target_id="policies",
        report_response_hours=report_response_hours,
        show_domain_blocks=show_domain_blocks,
        registration_mode=info.registration_mode,
    )
    return info


async def add_server_rule(
    session: AsyncSession, *, actor: Account, text: str, hint: str = ""
) -> Rule:
    await require(session, actor, Permission.MANAGE_RULES)
    rule = await add_rule(session, text=text, hint=hint)
    await write_audit(
        session, actor=actor, action="rule.create", target_type="rule", target_id=rule.id,
        text=rule.text,
    )  # fmt: skip
    return rule


async def remove_server_rule(session: AsyncSession, *, actor: Account, rule_id: int) -> None:
    """Reports keep the ids of the rules they cited; a removed rule shows as its id."""
    await require(session, actor, Permission.MANAGE_RULES)
    await remove_rule(session, rule_id=rule_id)
    await write_audit(
        session, actor=actor, action="rule.delete", target_type="rule", target_id=rule_id
    )
