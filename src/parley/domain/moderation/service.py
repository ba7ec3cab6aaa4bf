"""Reports and the actions moderators take on them. Each command runs in the caller's
transaction and writes its audit entry there, so an action never exists without its record.

Appeals are in parley.domain.moderation.appeals, instance-level blocks in .blocks.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, Role
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound, get_or_404
from parley.domain.events import Event, record
from parley.domain.instance.models import Rule
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.autoflag.labels import label_moderator_action
from parley.domain.moderation.escalation import schedule_escalation
from parley.domain.moderation.models import ActionKind, Report, ReportCategory, Strike
from parley.domain.moderation.permissions import Permission, require, role_of
from parley.domain.notifications.models import NotificationType
from parley.domain.notifications.service import add_notification
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.posts.visibility import can_see

MAX_COMMENT = 1000
MAX_REASON = 2000
MAX_POSTS = 50
RANK = {Role.MEMBER: 0, Role.MODERATOR: 1, Role.ADMIN: 2, Role.OWNER: 3}
# What the reporter is told about the outcome (the member acted on gets the reason itself).
OUTCOME = {
    ActionKind.DISMISS: "Reviewed: no action was needed.",
    ActionKind.DELETE_POST: "Reviewed: the reported content was removed.",
    ActionKind.MARK_SENSITIVE: "Reviewed: the reported media was marked sensitive.",
    ActionKind.ADD_CONTENT_WARNING: "Reviewed: a content warning was added.",
    ActionKind.WARN: "Reviewed: the account was warned.",
    ActionKind.FREEZE: "Reviewed: the account was frozen.",
    ActionKind.LIMIT: "Reviewed: the account was limited.",
    ActionKind.SUSPEND: "Reviewed: the account was suspended.",
}


async def get_account_or_404(session: AsyncSession, account_id: int) -> Account:
    return await get_or_404(
        session, Account, account_id, "This account does not exist (it may have been deleted)"
    )


async def get_report(session: AsyncSession, report_id: int) -> Report:
    return await get_or_404(session, Report, report_id, "This report does not exist")


async def file_report(
    session: AsyncSession,
    *,
    reporter: Account | None,
    target_account_id: int,
    post_ids: list[int] | None = None,
    category: str = ReportCategory.OTHER,
    rule_ids: list[int] | None = None,
    comment: str = "",
    forward: bool = False,
    uri: str | None = None,
    origin_domain: str | None = None,
) -> Report:
    """Report an account (and some of its posts). `reporter` None is another server's Flag."""
    target = await get_account_or_404(session, target_account_id)
    if reporter is not None and reporter.id == target.id:
        raise Invalid("account_id", "You cannot report yourself")
    if category not in ReportCategory.ALL:
        raise Invalid("category", f"Category must be one of {', '.join(ReportCategory.ALL)}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid("comment", f"The comment is at most {MAX_COMMENT} characters")
    unique_posts = list(dict.fromkeys(post_ids or []))
    if len(unique_posts) > MAX_POSTS:
        raise Invalid("status_ids", f"A report may attach at most {MAX_POSTS} posts")
    for post_id in unique_posts:
        post = await session.get(Post, post_id)
        visible = post is not None and (
            reporter is None or await can_see(session, reporter.id, post)
        )
        if post is None or not visible or post.account_id != target.id:
            raise NotFound(f"Post {post_id} does not exist or is not by this account")
    rules: list[int] = []
    if category == ReportCategory.VIOLATION:
        rules = list(dict.fromkeys(rule_ids or []))
        known = set(await session.scalars(select(Rule.id).where(Rule.id.in_(rules))))
        if not rules or set(rules) - known:
            raise Invalid("rule_ids", "Choose which of the server's rules were broken")
    report = Report(
        account_id=None if reporter is None else reporter.id,
        target_account_id=target.id,
        post_ids=unique_posts,
        category=category,
        rule_ids=rules,
        comment=comment,
        forward=forward and target.domain is not None and reporter is not None,
        uri=uri,
        origin_domain=origin_domain,
    )
    session.add(report)
    await session.flush()
    await schedule_escalation(session, report)
    if report.forward:
        await record(session, Event.REPORT_FILED, report_id=report.id)
    return report


async def _check_may_act(session: AsyncSession, moderator: Account, target: Account) -> None:
    role = await require(session, moderator, Permission.ACT_ON_ACCOUNTS)
    if target.id == moderator.id:
        raise Forbidden("You cannot act on your own account or a report about you")
    if RANK[await role_of(session, target)] >= RANK[role]:
        raise Forbidden("Only a higher role can act on this staff account")


async def assign_report(
    session: AsyncSession, *, moderator: Account, report_id: int, to_self: bool = True
) -> Report:
    await require(session, moderator, Permission.MANAGE_REPORTS)
    report = await get_report(session, report_id)
    report.assigned_account_id = moderator.id if to_self else None
    await write_audit(
        session,
        actor=moderator,
        action="report.assign" if to_self else "report.unassign",
        target_type="report",
        target_id=report.id,
    )
    return report


async def reopen_report(session: AsyncSession, *, moderator: Account, report_id: int) -> Report:
    await require(session, moderator, Permission.MANAGE_REPORTS)
    report = await get_report(session, report_id)
    if report.action_taken_at is None:
        raise Conflict("This report is already open")
    report.action_taken_at = None
    report.action_taken_by_id = None
    report.resolution = ""
    await write_audit(
        session, actor=moderator, action="report.reopen", target_type="report", target_id=report.id
    )
    return report


async def _posts_of(session: AsyncSession, target: Account, post_ids: list[int]) -> list[Post]:
    if not post_ids:
        raise Invalid("post_ids", "Choose the posts this action applies to")
    found: list[Post] = []
    for post_id in post_ids:
        post = await session.get(Post, post_id)
        if post is None:
            raise NotFound(f"Post {post_id} no longer exists (it may have been deleted)")
        if post.account_id != target.id:
            raise Invalid("post_ids", f"Post {post_id} is not by this account")
        found.append(post)
    return found


async def take_action(
    session: AsyncSession,
    *,
    moderator: Account,
    kind: str,
    reason: str,
    target_account_id: int | None = None,
    report_id: int | None = None,
    post_ids: list[int] | None = None,
    content_warning: str = "",
) -> Strike | None:
    """Act on an account (or on the account a report is about), tell the member why, resolve
    the report and log it. Returns the strike (None for dismiss, which strikes no one)."""
    if kind not in ActionKind.ALL:
        raise Invalid("kind", f"Action must be one of {', '.join(ActionKind.ALL)}")
    reason = reason.strip()
    if not reason:
        raise Invalid("reason", "Give a reason: the member is told what they did wrong")
    if len(reason) > MAX_REASON:
        raise Invalid("reason", f"The reason is at most {MAX_REASON} characters")
    report = None if report_id is None else await get_report(session, report_id)
    if report is not None:
        if report.action_taken_at is not None:
            raise Conflict("This report was already resolved")
        if target_account_id not in (None, report.target_account_id):
            raise Invalid("account_id", "The report is about another account")
        target_account_id = report.target_account_id
        if post_ids is None:
            post_ids = list(report.post_ids)
    if target_account_id is None:
        raise Invalid("account_id", "Choose an account or a report")
    target = await get_account_or_404(session, target_account_id)
    await _check_may_act(session, moderator, target)
    if kind == ActionKind.DISMISS and report is None:
        raise Invalid("kind", "Only a report can be dismissed")

    details = await _apply(session, moderator, target, kind, post_ids or [], content_warning)
    # The decision stays on each post it concerned as a label (also after a deletion).
    await label_moderator_action(
        session, post_ids=post_ids or [], action=kind, moderator_id=moderator.id, reason=reason,
        details={"report_id": None if report is None else report.id},
    )  # fmt: skip
    strike = None
    if kind != ActionKind.DISMISS:
        strike = Strike(
            kind=kind,
            target_account_id=target.id,
            moderator_account_id=moderator.id,
            report_id=None if report is None else report.id,
            post_ids=list(post_ids or []) if kind in ActionKind.ON_POSTS else [],
            reason=reason,
            details=details,
        )
        session.add(strike)
        await session.flush()
        await tell_member(session, target, strike)
    if report is not None:
        report.action_taken_at = utcnow()
        report.action_taken_by_id = moderator.id
        report.resolution = OUTCOME[kind]
    await write_audit(
        session,
        actor=moderator,
        action=f"account.{kind}",
        target_type="account",
        target_id=target.id,
        reason=reason,
        acct=target.acct(),
        report_id=None if report is None else report.id,
        strike_id=None if strike is None else strike.id,
        **details,
    )
    return strike


async def _apply(
    session: AsyncSession,
    moderator: Account,
    target: Account,
    kind: str,
    post_ids: list[int],
    content_warning: str,
) -> dict[str, object]:
    """Carry out the action; returns what it changed (for the audit log and appeals)."""
    now = utcnow()
    if kind in ActionKind.ON_POSTS:
        found = await _posts_of(session, target, post_ids)
        if kind == ActionKind.DELETE_POST:
            texts = {str(p.id): p.text[:500] for p in found}
            for post in found:
                await posts.delete_post(
                    session, actor=moderator, post_id=post.id, as_moderator=True
                )
            return {"post_ids": post_ids, "deleted_texts": texts}
        if kind == ActionKind.MARK_SENSITIVE:
            before = {str(p.id): p.sensitive for p in found}
            for post in found:
                post.sensitive = True
            return {"post_ids": post_ids, "sensitive_before": before}
        warning = content_warning.strip() or "Content warning added by the moderators"
        before_cw = {str(p.id): p.spoiler_text for p in found}
        for post in found:
            post.spoiler_text = warning[:1000]
            post.sensitive = True
        return {"post_ids": post_ids, "spoiler_before": before_cw}
    if kind == ActionKind.SUSPEND:
        if target.suspended_at is not None:
            raise Conflict("This account is already suspended")
        target.suspended_at = now
    elif kind == ActionKind.LIMIT:
        if target.silenced_at is not None:
            raise Conflict("This account is already limited")
        target.silenced_at = now
    elif kind == ActionKind.FREEZE:
        if target.frozen_at is not None:
            raise Conflict("This account is already frozen")
        target.frozen_at = now
    return {}


async def tell_member(session: AsyncSession, target: Account, strike: Strike) -> None:
    """A moderation_warning notification (Mastodon 4.3) naming the strike, which carries the
    reason (and later its appeal). Not through `notify`, which skips a member's own acts: no
    one else is the sender."""
    if target.domain is None:
        await add_notification(
            session,
            recipient_id=target.id,
            from_account_id=target.id,
            type=NotificationType.MODERATION_WARNING,
            strike_id=strike.id,
        )
