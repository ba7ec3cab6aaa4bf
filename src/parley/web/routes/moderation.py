"""The moderation queue and tools for staff: open reports oldest first, a report with its
content, context and the account's history, one form to act with a reason, and appeals.

Permissions are the domain's: each command and query checks the viewer's role.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import Conflict, DomainError, Invalid, NotFound
from parley.domain.instance.service import get_instance_info, list_rules
from parley.domain.moderation import appeals as appeal_service
from parley.domain.moderation import queries
from parley.domain.moderation import service as moderation
from parley.domain.moderation.autoflag.holds import count_held
from parley.domain.moderation.autoflag.labels import labels_for
from parley.domain.moderation.models import ActionKind, Strike
from parley.domain.moderation.permissions import Permission, require
from parley.domain.posts.models import Post
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of, suspended_viewer

ACTIONS = {
    ActionKind.DISMISS: "Dismiss: no rule was broken",
    ActionKind.DELETE_POST: "Delete the reported parleys",
    ActionKind.MARK_SENSITIVE: "Mark the reported parleys sensitive",
    ActionKind.ADD_CONTENT_WARNING: "Add a content warning to the reported parleys",
    ActionKind.WARN: "Warn the account (a strike, nothing else changes)",
    ActionKind.FREEZE: "Freeze: may sign in and read, not post or interact",
    ActionKind.LIMIT: "Limit: hidden from public timelines for non-followers",
    ActionKind.SUSPEND: "Suspend: the account and its parleys disappear",
}


def age_label(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return f"{max(1, int(age.total_seconds() // 60))} min"
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


async def queue(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        info = await get_instance_info(session)
        found = await queries.open_queue(
            session, moderator=viewer.account, target_hours=info.report_response_hours
        )
        appeals = len(await queries.pending_appeals(session, moderator=viewer.account))
        post_labels = await labels_for(
            session, [i for it in found.items for i in it.report.post_ids]
        )
        held = await count_held(session)
    done = request.query_params.get("done")
    return await render(
        request,
        "moderation/queue.html",
        {
            "queue": found,
            "age_label": age_label,
            "pending_appeals": appeals,
            "held": held,
            "labels_by_report": {
                it.report.id: [x for i in it.report.post_ids for x in post_labels.get(i, [])]
                for it in found.items
            },
            "notice": f"Report {done} resolved." if done and done.isdigit() else None,
        },
    )


async def report_page(request: Request, error: DomainError | None = None) -> Response:
    viewer = await require_viewer(request)
    report_id = int(request.path_params["report_id"])
    async with runtime_of(request).db.reader() as session:
        await require(session, viewer.account, Permission.MANAGE_REPORTS)
        report = await moderation.get_report(session, report_id)
        target = await moderation.get_account_or_404(session, report.target_account_id)
        reporter = (
            None
            if report.account_id is None
            else await moderation.get_account_or_404(session, report.account_id)
        )
        posts, gone = await queries.reported_posts(session, report)
        parents = {
            p.id: await session.get(Post, p.in_reply_to_id)
            for p in posts
            if p.in_reply_to_id is not None
        }
        recent = list(
            await session.scalars(
                select(Post)
                .where(Post.account_id == target.id, Post.echo_of_id.is_(None))
                .order_by(Post.id.desc())
                .limit(5)
            )
        )
        history = await queries.account_history(session, target)
        post_labels = await labels_for(session, report.post_ids)
        rules = {r.id: r.text for r in await list_rules(session)}
    return await render(
        request,
        "moderation/report.html",
        {
            "report": report,
            "target": target,
            "reporter": reporter,
            "posts": posts,
            "gone": gone,
            "parents": parents,
            "recent": [p for p in recent if p.id not in report.post_ids],
            "history": history,
            "post_labels": post_labels,
            "rules": rules,
            "actions": ACTIONS,
            "error": error,
        },
        status_code=422 if error else 200,
    )


async def act_on_report(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    report_id = int(request.path_params["report_id"])
    selected = [int(v) for v in forms.texts(form, "post_ids") if v.isdigit()]
    try:
        async with runtime_of(request).db.transaction() as session:
            await moderation.take_action(
                session,
                moderator=viewer.account,
                kind=forms.text(form, "kind"),
                reason=forms.text(form, "reason"),
                report_id=report_id,
                post_ids=selected or None,
                content_warning=forms.text(form, "content_warning"),
            )
    except (Invalid, Conflict, NotFound) as exc:  # shown on the report, with the form
        return await report_page(request, exc)
    return RedirectResponse(f"/moderation?done={report_id}", status_code=303)


async def assign(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    report_id = int(request.path_params["report_id"])
    async with runtime_of(request).db.transaction() as session:
        await moderation.assign_report(
            session, moderator=viewer.account, report_id=report_id,
            to_self=forms.text(form, "to") != "nobody",
        )  # fmt: skip
    return RedirectResponse(f"/moderation/reports/{report_id}", status_code=303)


async def appeals_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        pending = await queries.pending_appeals(session, moderator=viewer.account)
        strikes = {a.id: await session.get(Strike, a.strike_id) for a in pending}
        accounts = {
            a.id: await moderation.get_account_or_404(session, a.account_id) for a in pending
        }
    return await render(
        request,
        "moderation/appeals.html",
        {"appeals": pending, "strikes": strikes, "accounts": accounts, "actions": ACTIONS},
    )


async def decide(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    async with runtime_of(request).db.transaction() as session:
        await appeal_service.decide_appeal(
            session,
            moderator=viewer.account,
            appeal_id=int(request.path_params["appeal_id"]),
            approve=forms.text(form, "decision") == "approve",
            note=forms.text(form, "note"),
        )
    return RedirectResponse("/moderation/appeals", status_code=303)


async def my_strikes(request: Request) -> Response:
    """A member's strikes (with each reason) and the one appeal each allows. The one page a
    suspended member may open: they read the decision and appeal it, nothing else."""
    restricted = await suspended_viewer(request)
    viewer = restricted or await require_viewer(request)
    error: DomainError | None = None
    if request.method == "POST":
        form = await checked_form(request)
        try:
            async with runtime_of(request).db.transaction() as session:
                await appeal_service.appeal_strike(
                    session,
                    account=viewer.account,
                    strike_id=forms.integer(form, "strike_id") or 0,
                    text=forms.text(form, "text"),
                )
            return RedirectResponse("/settings/strikes?appealed=1", status_code=303)
        except DomainError as exc:
            error = exc
    async with runtime_of(request).db.reader() as session:
        strikes, appeals = await queries.strikes_with_appeals(session, viewer.account.id)
    notice = "Your appeal was sent." if request.query_params.get("appealed") else None
    return await render(
        request,
        "auth/appeal.html" if restricted else "moderation/strikes.html",
        {
            "strikes": strikes,
            "appeals": appeals,
            "actions": ACTIONS,
            "error": error,
            "notice": notice,
            "restricted_account": viewer.account,
        },
        status_code=422 if error else 200,
    )


routes = [
    Route("/moderation", queue),
    Route("/moderation/reports/{report_id:int}", report_page),
    Route("/moderation/reports/{report_id:int}/action", act_on_report, methods=["POST"]),
    Route("/moderation/reports/{report_id:int}/assign", assign, methods=["POST"]),
    Route("/moderation/appeals", appeals_page),
    Route("/moderation/appeals/{appeal_id:int}", decide, methods=["POST"]),
    Route("/settings/strikes", my_strikes, methods=["GET", "POST"]),
]
