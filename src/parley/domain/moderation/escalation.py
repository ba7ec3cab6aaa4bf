"""Escalation: a report still open when its response-time target passes is logged as a
warning and e-mailed to the staff (through the `send_mail` job), once per report.

Filing a report schedules the check (`schedule_escalation`) for the moment the target passes,
so no periodic scan is needed and a restart loses nothing (jobs are durable).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, User
from parley.domain.instance.service import get_instance_info
from parley.domain.moderation.models import Report
from parley.domain.moderation.permissions import STAFF
from parley.jobs.queue import enqueue

log = logging.getLogger(__name__)
ESCALATE_JOB = "moderation.escalate"
WEBHOOK_JOB = "moderation.webhook"


async def schedule_escalation(session: AsyncSession, report: Report) -> None:
    info = await get_instance_info(session)
    due = report.created_at + timedelta(hours=info.report_response_hours)
    await enqueue(session, ESCALATE_JOB, {"report_id": report.id}, run_at=due)


async def escalate_report(session: AsyncSession, *, report_id: int, base_url: str) -> list[str]:
    """Mark an overdue open report escalated and queue the staff e-mails; returns the
    addresses written to (none if the report was resolved, gone or already escalated)."""
    report = await session.get(Report, report_id)
    if report is None or report.action_taken_at is not None or report.escalated_at is not None:
        return []
    info = await get_instance_info(session)
    if utcnow() - report.created_at < timedelta(hours=info.report_response_hours):
        return []  # the target was raised since the check was scheduled
    report.escalated_at = utcnow()
    target = await session.get(Account, report.target_account_id)
    acct = "a deleted account" if target is None else f"@{target.acct()}"
    log.warning(
        "report %s about %s is open past the %s h response target",
        report.id, acct, info.report_response_hours,
    )  # fmt: skip
    emails = set(
        await session.scalars(
            select(User.email).where(User.role.in_(STAFF), User.disabled.is_(False))
        )
    )
    if info.contact_email:
        emails.add(info.contact_email)
    for email in sorted(emails):
        await enqueue(
            session,
            "send_mail",
            {
                "to": email,
                "subject": f"[{info.name}] Report {report.id} is overdue",
                "body": (
                    f"The report about {acct} has been open for more than "
                    f"{info.report_response_hours} hours.\n\n"
                    f"Review it: {base_url}/moderation/reports/{report.id}\n"
                ),
            },
        )
    if info.escalation_webhook_url:
        await enqueue(
            session,
            WEBHOOK_JOB,
            {
                "url": info.escalation_webhook_url,
                "payload": {
                    "event": "report.overdue",
                    "report_id": str(report.id),
                    "account": acct,
                    "created_at": report.created_at.isoformat(),
                    "target_hours": info.report_response_hours,
                    "url": f"{base_url}/moderation/reports/{report.id}",
                    "text": f"Report {report.id} about {acct} is overdue",
                },
            },
        )
    return sorted(emails)
