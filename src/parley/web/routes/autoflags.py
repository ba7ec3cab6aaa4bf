"""Automated flags in the moderation area: the queue of held posts (moderators approve or
reject each), and the admin page for the rules' actions and the threat lexicon.

Permissions are the domain's: each query and command checks the viewer's role.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import DomainError, Invalid, NotFound
from parley.domain.moderation.autoflag import decisions, holds, rules
from parley.domain.moderation.autoflag.models import FlagAction, RuleKey
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of

RULES = {
    RuleKey.THREAT: "Threat lexicon: threats of violence against a target",
    RuleKey.PROFANITY: "Profanity classifier (alt-profanity-check)",
    RuleKey.SPAM: "Spam: new account, links, mentions of people who do not follow it",
}
ACTIONS = {
    FlagAction.HOLD: "Hold for review (only the author sees it until a moderator approves)",
    FlagAction.REPORT: "Publish and report to the moderation queue",
    FlagAction.LABEL: "Publish and only label it for moderators",
    FlagAction.OFF: "Off (not scored)",
}


def _number(form: FormData, name: str) -> float | None:
    value = forms.text(form, name).strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise Invalid(name, "Must be a number") from None
    if not math.isfinite(number):
        raise Invalid(name, "Must be a number")
    return number


async def held_queue(
    request: Request, *, error: DomainError | None = None, notice: str | None = None
) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        items = await holds.held_queue(session, moderator=viewer.account)
        backlog = await holds.count_held(session)
    return await render(
        request,
        "moderation/held.html",
        {"items": items, "backlog": backlog, "error": error, "notice": notice},
        status_code=422 if error else 200,
    )


async def held_page(request: Request) -> Response:
    done = request.query_params.get("done", "")
    notice = {"approved": "Approved and published.", "rejected": "Rejected and removed."}
    return await held_queue(request, notice=notice.get(done))


async def decide(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    post_id = int(request.path_params["post_id"])
    if request.path_params["decision"] not in ("approve", "reject"):
        raise NotFound("No such decision")
    approve = request.path_params["decision"] == "approve"
    try:
        async with runtime_of(request).db.transaction() as session:
            if approve:
                await decisions.approve_held_post(
                    session, moderator=viewer.account, post_id=post_id,
                    note=forms.text(form, "note"),
                )  # fmt: skip
            else:
                await decisions.reject_held_post(
                    session, moderator=viewer.account, post_id=post_id,
                    reason=forms.text(form, "reason"),
                )  # fmt: skip
    except Invalid as exc:  # shown on the queue, with the forms
        return await held_queue(request, error=exc)
    done = "approved" if approve else "rejected"
    return RedirectResponse(f"/moderation/held?done={done}", status_code=303)


async def settings_page(
    request: Request,
    *,
    error: DomainError | None = None,
    notice: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    viewer = await require_viewer(request)
    # A transaction: the first visit copies the shipped lexicon into the table to edit.
    async with runtime_of(request).db.transaction() as session:
        entries = await rules.lexicon_for_admin(session, actor=viewer.account)
        configured = await rules.load_rules(session)
    return await render(
        request,
        "moderation/autoflags.html",
        {
            "rules": configured, "rule_names": RULES, "actions": ACTIONS, "entries": entries,
            "spam_params": rules.SPAM_PARAMS, "error": error, "notice": notice,
            "values": values or {},
        },
        status_code=422 if error else 200,
    )  # fmt: skip


async def autoflags(request: Request) -> Response:
    saved = request.query_params.get("saved")
    return await settings_page(request, notice="Saved." if saved else None)


async def update_rule(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    key = request.path_params["key"]
    try:
        params: dict[str, Any] = {name: forms.text(form, name) for name in rules.SPAM_PARAMS}
        async with runtime_of(request).db.transaction() as session:
            await rules.update_rule(
                session, actor=viewer.account, key=key, action=forms.text(form, "action"),
                threshold=_number(form, "threshold"), params=params,
            )  # fmt: skip
    except Invalid as exc:
        return await settings_page(request, error=exc)
    return RedirectResponse(f"/moderation/autoflags?saved=1#rule-{key}", status_code=303)


async def save_entry(request: Request) -> Response:
    """Add an entry (`/lexicon`) or change one (`/lexicon/{entry_id}`)."""
    viewer = await require_viewer(request)
    form = await checked_form(request)
    entry_id = request.path_params.get("entry_id")
    pattern, note = forms.text(form, "pattern"), forms.text(form, "note")
    is_regex = forms.flag(form, "is_regex")
    values = {"pattern": pattern, "weight": forms.text(form, "weight"), "note": note,
              "is_regex": is_regex, "entry_id": entry_id}  # fmt: skip
    try:
        async with runtime_of(request).db.transaction() as session:
            row = await rules.save_lexicon_entry(
                session, actor=viewer.account, pattern=pattern, weight=_number(form, "weight"),
                is_regex=is_regex, note=note, entry_id=entry_id,
            )  # fmt: skip
    except Invalid as exc:
        return await settings_page(request, error=exc, values=values)
    return RedirectResponse(f"/moderation/autoflags?saved=1#entry-{row.id}", status_code=303)


async def remove_entry(request: Request) -> Response:
    viewer = await require_viewer(request)
    await checked_form(request)
    async with runtime_of(request).db.transaction() as session:
        await rules.remove_lexicon_entry(
            session, actor=viewer.account, entry_id=int(request.path_params["entry_id"])
        )
    return RedirectResponse("/moderation/autoflags?saved=1#lexicon", status_code=303)


routes = [
    Route("/moderation/held", held_page),
    Route(
        "/moderation/held/{post_id:int}/{decision:str}",
        decide,
        methods=["POST"],
    ),
    Route("/moderation/autoflags", autoflags),
    Route("/moderation/autoflags/rules/{key:str}", update_rule, methods=["POST"]),
    Route("/moderation/autoflags/lexicon", save_entry, methods=["POST"]),
    Route("/moderation/autoflags/lexicon/{entry_id:int}", save_entry, methods=["POST"]),
    Route("/moderation/autoflags/lexicon/{entry_id:int}/delete", remove_entry, methods=["POST"]),
]
