"""Reporting from the web UI: the report form (from a parley's or a profile's menu) and the
reporter's own reports with what was decided."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import DomainError, NotFound
from parley.domain.instance.service import list_rules
from parley.domain.moderation import queries as moderation_queries
from parley.domain.moderation import service as moderation
from parley.domain.moderation.models import ReportCategory
from parley.domain.posts.queries import get_visible_post
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of

CATEGORIES = {
    ReportCategory.SPAM: "Spam: ads, scams, repetitive replies",
    ReportCategory.LEGAL: "Illegal content in my country or this server's",
    ReportCategory.VIOLATION: "It breaks the server's rules",
    ReportCategory.OTHER: "Something else",
}


def _id(value: str) -> int:
    if not value.isdigit() or len(value) > 19:
        raise NotFound("No such account or parley")
    return int(value)


async def new_report(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    values: dict[str, Any] = {"category": "", "rule_ids": [], "comment": "", "forward": False}
    error: DomainError | None = None
    form = await checked_form(request) if request.method == "POST" else None
    source = request.query_params if form is None else form
    account_id = _id(str(source.get("account") or ""))
    post_id = _id(str(source["post"])) if source.get("post") else None
    if form is not None:
        values = {
            "category": forms.text(form, "category"),
            "rule_ids": [int(v) for v in forms.texts(form, "rule_ids") if v.isdigit()],
            "comment": forms.text(form, "comment"),
            "forward": forms.flag(form, "forward"),
        }
        try:
            async with runtime.db.transaction() as session:
                await moderation.file_report(
                    session,
                    reporter=viewer.account,
                    target_account_id=account_id,
                    post_ids=[] if post_id is None else [post_id],
                    **values,
                )
            return RedirectResponse("/reports?filed=1", status_code=303)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            error = exc
    async with runtime.db.reader() as session:
        target = await moderation.get_account_or_404(session, account_id)
        post = None
        if post_id is not None:
            post = await get_visible_post(session, viewer_id=viewer.account.id, post_id=post_id)
        rules = await list_rules(session)
    return await render(
        request,
        "reports/new.html",
        {
            "target": target,
            "post": post,
            "rules": rules,
            "categories": CATEGORIES,
            "values": values,
            "error": error,
        },
        status_code=422 if error else 200,
    )


async def my_reports(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        reports = await moderation_queries.reports_filed_by(session, viewer.account.id)
        targets = {
            r.id: await moderation.get_account_or_404(session, r.target_account_id) for r in reports
        }
    notice = (
        "Thank you: the moderators will review your report."
        if request.query_params.get("filed")
        else None
    )
    return await render(
        request,
        "reports/index.html",
        {"reports": reports, "targets": targets, "categories": CATEGORIES, "notice": notice},
    )


routes = [
    Route("/report", new_report, methods=["GET", "POST"]),
    Route("/reports", my_reports),
]
