"""Appeals: a member may appeal each strike once; a moderator other than the one who struck
decides. An upheld appeal lifts what can be lifted (a deleted post stays deleted)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, User
from parley.domain.accounts.service import mail_user
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound, get_or_404
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.autoflag.labels import label_moderator_action
from parley.domain.moderation.models import ActionKind, Appeal, Strike
from parley.domain.moderation.permissions import Permission, require
from parley.domain.moderation.service import tell_member
from parley.domain.posts.models import Post

MAX_APPEAL = 2000


async def appeal_strike(
    session: AsyncSession, *, account: Account, strike_id: int, text: str
) -> Appeal:
    strike = await session.get(Strike, strike_id)
    if strike is None or strike.target_account_id != account.id:
        raise NotFound("This strike does not exist")
    text = text.strip()
    if not text or len(text) > MAX_APPEAL:
        raise Invalid("text", f"Explain your appeal in 1 to {MAX_APPEAL} characters")
    if strike.reversed_at is not None:
        raise Conflict("This strike was already lifted")
    if await session.scalar(select(Appeal.id).where(Appeal.strike_id == strike.id)) is not None:
        raise Conflict("You already appealed this strike; each strike can be appealed once")
    appeal = Appeal(strike_id=strike.id, account_id=account.id, text=text)
    session.add(appeal)
    await session.flush()
    return appeal


async def decide_appeal(
    session: AsyncSession, *, moderator: Account, appeal_id: int, approve: bool, note: str = ""
) -> Appeal:
    await require(session, moderator, Permission.DECIDE_APPEALS)
    appeal = await get_or_404(session, Appeal, appeal_id, "This appeal does not exist")
    if appeal.decided_at is not None:
        raise Conflict("This appeal was already decided")
    strike = await session.get(Strike, appeal.strike_id)
    assert strike is not None  # the appeal cascades with its strike
    if moderator.id in (strike.moderator_account_id, appeal.account_id):
        raise Forbidden("Another moderator must decide this appeal")
    appeal.decided_at = utcnow()
    appeal.decided_by_id = moderator.id
    appeal.approved = approve
    appeal.decision_note = note.strip()[:MAX_APPEAL]
    if approve:
        await _lift(session, strike)
    await label_moderator_action(
        session, post_ids=strike.post_ids, moderator_id=moderator.id,
        action="appeal_upheld" if approve else "appeal_rejected", reason=appeal.decision_note,
        details={"strike_id": strike.id},
    )  # fmt: skip
    target = await session.get(Account, strike.target_account_id)
    if target is not None:
        await tell_member(session, target, strike)
        await _mail_decision(session, target, approve)
    await write_audit(
        session,
        actor=moderator,
        action="appeal.approve" if approve else "appeal.reject",
        target_type="appeal",
        target_id=appeal.id,
        reason=appeal.decision_note,
        strike_id=strike.id,
        account_id=strike.target_account_id,
    )
    return appeal


async def _mail_decision(session: AsyncSession, target: Account, approved: bool) -> None:
    """A suspended member sees no notifications: the decision also goes by e-mail."""
    user = await session.scalar(select(User).where(User.account_id == target.id))
    if user is None:
        return
    outcome = "approved: the decision was lifted" if approved else "rejected"
    await mail_user(
        session, user, f"Your appeal was {'approved' if approved else 'rejected'}",
        f"Your appeal was {outcome}. Details: Settings > Strikes.\n",
    )  # fmt: skip


async def _lift(session: AsyncSession, strike: Strike) -> None:
    strike.reversed_at = utcnow()
    account = await session.get(Account, strike.target_account_id)
    if account is None:
        return
    if strike.kind == ActionKind.SUSPEND:
        account.suspended_at = None
    elif strike.kind == ActionKind.LIMIT:
        account.silenced_at = None
    elif strike.kind == ActionKind.FREEZE:
        account.frozen_at = None
    elif strike.kind in (ActionKind.MARK_SENSITIVE, ActionKind.ADD_CONTENT_WARNING):
        sensitive = strike.details.get("sensitive_before", {})
        spoilers = strike.details.get("spoiler_before", {})
        for post_id in strike.post_ids:
            post = await session.get(Post, post_id)
            if post is None:
                continue
            if str(post_id) in spoilers:
                post.spoiler_text = spoilers[str(post_id)]
                post.sensitive = bool(post.spoiler_text)
            if str(post_id) in sensitive:
                post.sensitive = bool(sensitive[str(post_id)])
