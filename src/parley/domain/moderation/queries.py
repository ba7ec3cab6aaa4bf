"""Reading moderation state: the queue, a report with its context, an account's history,
appeals, the audit log, and the transparency numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, User
from parley.domain.errors import get_or_404
from parley.domain.moderation.models import Appeal, AuditLogEntry, Report, Strike
from parley.domain.moderation.permissions import Permission, require
from parley.domain.posts.models import Post

QUEUE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class QueueItem:
    report: Report
    target: Account
    reporter: Account | None
    age: timedelta
    overdue: bool


@dataclass(frozen=True, slots=True)
class Queue:
    items: list[QueueItem]
    backlog: int
    target_hours: int
    overdue: int


async def count_open_reports(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Report).where(Report.action_taken_at.is_(None))
    return int(await session.scalar(stmt) or 0)


async def open_queue(
    session: AsyncSession, *, moderator: Account, target_hours: int, now: datetime | None = None
) -> Queue:
    """Open reports, oldest first, each with its age and whether it passed the target."""
    await require(session, moderator, Permission.MANAGE_REPORTS)
    now = now or utcnow()
    limit = timedelta(hours=target_hours)
    rows = await session.scalars(
        select(Report)
        .where(Report.action_taken_at.is_(None))
        .order_by(Report.created_at, Report.id)
        .limit(QUEUE_LIMIT)
    )
    items: list[QueueItem] = []
    for report in rows.all():
        target = await session.get(Account, report.target_account_id)
        reporter = (
            None if report.account_id is None else await session.get(Account, report.account_id)
        )
        assert target is not None  # reports cascade with their target
        age = now - report.created_at
        items.append(QueueItem(report, target, reporter, age, age > limit))
    backlog = await count_open_reports(session)
    overdue = int(
        await session.scalar(
            select(func.count())
            .select_from(Report)
            .where(Report.action_taken_at.is_(None), Report.created_at < now - limit)
        )
        or 0
    )
    return Queue(items, backlog, target_hours, overdue)


@dataclass(frozen=True, slots=True)
class AccountHistory:
    account: Account
    strikes: list[Strike]
    reports_against: int
    appeals: dict[int, Appeal] = field(default_factory=dict)


async def strikes_with_appeals(
    session: AsyncSession, account_id: int
) -> tuple[list[Strike], dict[int, Appeal]]:
    strikes = list(
        (
            await session.scalars(
                select(Strike)
                .where(Strike.target_account_id == account_id)
                .order_by(Strike.id.desc())
            )
        ).all()
    )
    appeals = await session.scalars(
        select(Appeal).where(Appeal.strike_id.in_([s.id for s in strikes]))
    )
    return strikes, {a.strike_id: a for a in appeals}


async def account_history(session: AsyncSession, account: Account) -> AccountHistory:
    strikes, appeals = await strikes_with_appeals(session, account.id)
    reports = await session.scalar(
        select(func.count()).select_from(Report).where(Report.target_account_id == account.id)
    )
    return AccountHistory(account, strikes, int(reports or 0), appeals)


async def reported_posts(session: AsyncSession, report: Report) -> tuple[list[Post], list[int]]:
    """The report's posts that still exist, and the ids of those already gone."""
    found = {
        p.id: p
        for p in await session.scalars(select(Post).where(Post.id.in_(report.post_ids or [])))
    }
    return [found[i] for i in report.post_ids if i in found], [
        i for i in report.post_ids if i not in found
    ]


async def reports_filed_by(session: AsyncSession, account_id: int) -> list[Report]:
    rows = await session.scalars(
        select(Report).where(Report.account_id == account_id).order_by(Report.id.desc()).limit(100)
    )
    return list(rows.all())


async def pending_appeals(session: AsyncSession, *, moderator: Account) -> list[Appeal]:
    await require(session, moderator, Permission.DECIDE_APPEALS)
    rows = await session.scalars(
        select(Appeal).where(Appeal.decided_at.is_(None)).order_by(Appeal.created_at)
    )
    return list(rows.all())


async def audit_log(
    session: AsyncSession, *, admin: Account, limit: int | None = 200
) -> list[AuditLogEntry]:
    await require(session, admin, Permission.VIEW_AUDIT_LOG)
    stmt = select(AuditLogEntry).order_by(AuditLogEntry.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the median is 0.5); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    if fraction == 0.5 and len(ordered) % 2 == 0:  # the usual median of an even count
        middle = len(ordered) // 2
        return (ordered[middle - 1] + ordered[middle]) / 2
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class MonthStats:
    month: str  # "2026-11"
    reports: int
    actions: int
    median_response_hours: float | None
    p90_response_hours: float | None


def monthly_stats(
    reports: list[tuple[datetime, datetime | None]], actions: list[datetime]
) -> list[MonthStats]:
    """Per month of filing: reports, actions taken, and first-response times in hours
    (resolution time of the reports resolved so far). Newest month first."""
    by_month: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for created, resolved in reports:
        key = created.strftime("%Y-%m")
        counts[key] = counts.get(key, 0) + 1
        by_month.setdefault(key, [])
        if resolved is not None:
            by_month[key].append((resolved - created).total_seconds() / 3600)
    action_counts: dict[str, int] = {}
    for at in actions:
        key = at.strftime("%Y-%m")
        action_counts[key] = action_counts.get(key, 0) + 1
    months = sorted(set(counts) | set(action_counts), reverse=True)
    return [
        MonthStats(
            month,
            counts.get(month, 0),
            action_counts.get(month, 0),
            _round(percentile(by_month.get(month, []), 0.5)),
            _round(percentile(by_month.get(month, []), 0.9)),
        )
        for month in months
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def transparency(session: AsyncSession, *, months: int = 12) -> list[MonthStats]:
    since = utcnow() - timedelta(days=31 * months)
    reports = (
        await session.execute(
            select(Report.created_at, Report.action_taken_at).where(Report.created_at >= since)
        )
    ).all()
    actions = await session.scalars(select(Strike.created_at).where(Strike.created_at >= since))
    return monthly_stats([(c, r) for c, r in reports], list(actions.all()))


async def list_reports(
    session: AsyncSession, *, moderator: Account, resolved: bool = False, limit: int = 100
) -> list[Report]:
    await require(session, moderator, Permission.MANAGE_REPORTS)
    done = Report.action_taken_at.is_not(None) if resolved else Report.action_taken_at.is_(None)
    rows = await session.scalars(select(Report).where(done).order_by(Report.id.desc()).limit(limit))
    return list(rows.all())


async def report_for_staff(session: AsyncSession, *, moderator: Account, report_id: int) -> Report:
    await require(session, moderator, Permission.MANAGE_REPORTS)
    return await get_or_404(session, Report, report_id, "This report does not exist")


async def account_for_staff(
    session: AsyncSession, *, moderator: Account, account_id: int
) -> tuple[Account, User | None]:
    """An account (suspended ones too) and, for a local one, its user row."""
    await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    account = await get_or_404(session, Account, account_id, "Record not found")
    user = await session.scalar(select(User).where(User.account_id == account.id))
    return account, user
