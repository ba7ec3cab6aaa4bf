"""Admin pages of the moderation area: the audit log (with CSV export), domain blocks (with
Mastodon CSV import and export), e-mail-domain and IP blocks, the sign-ups waiting for
approval, and the moderation settings (registration mode) and public policies."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import DomainError, NotFound
from parley.domain.instance.service import RegistrationMode, get_instance_info, list_rules
from parley.domain.moderation import blocks, policies, queries, registrations
from parley.domain.moderation import ip_blocks as ip_rules
from parley.domain.moderation.models import Severity
from parley.domain.moderation.permissions import Permission, require
from parley.edge.ip_access import announce_change
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of

MAX_IMPORT = 1024 * 1024
# The expiry choices of the IP block form (seconds; "" is never), as Mastodon offers them.
IP_EXPIRIES = {"": "Never", "86400": "1 day", "1209600": "2 weeks", "2592000": "1 month",
               "15552000": "6 months", "31536000": "1 year"}  # fmt: skip


async def audit(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        entries = await queries.audit_log(session, admin=viewer.account)
    return await render(request, "moderation/audit.html", {"entries": entries})


async def audit_csv(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        entries = await queries.audit_log(session, admin=viewer.account, limit=None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "created_at", "actor", "action", "target_type", "target_id", "reason"])
    for e in entries:
        writer.writerow([e.id, e.created_at.isoformat(), e.actor_acct, e.action, e.target_type,
                         e.target_id, e.reason])  # fmt: skip
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


async def _blocks_page(
    request: Request, *, error: DomainError | None = None, notice: str | None = None
) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        await require(session, viewer.account, Permission.MANAGE_BLOCKS)
        found = await blocks.list_domain_blocks(session)
        email_blocks = await blocks.list_email_domain_blocks(session)
        ip_blocks = await ip_rules.list_ip_blocks(session)
    row_errors = error.errors if isinstance(error, blocks.ImportRejected) else []
    return await render(
        request,
        "moderation/domain_blocks.html",
        {"blocks": found, "error": error, "row_errors": row_errors, "notice": notice,
         "severities": Severity.ALL, "email_blocks": email_blocks, "ip_blocks": ip_blocks,
         "ip_severities": ip_rules.IpSeverity.ALL, "ip_expiries": IP_EXPIRIES,
         "now": utcnow()},
        status_code=422 if error else 200,
    )  # fmt: skip


async def domain_blocks(request: Request) -> Response:
    if request.method == "GET":
        return await _blocks_page(request)
    return await _change_blocks(request, _block_domain)


async def _block_domain(session: AsyncSession, actor: Account, form: FormData) -> None:
    spec = blocks.DomainBlockSpec(
        domain=forms.text(form, "domain"),
        severity=forms.text(form, "severity"),
        reject_media=forms.flag(form, "reject_media"),
        reject_reports=forms.flag(form, "reject_reports"),
        public_comment=forms.text(form, "public_comment"),
        private_comment=forms.text(form, "private_comment"),
        obfuscate=forms.flag(form, "obfuscate"),
    )
    await blocks.block_domain(session, actor=actor, spec=spec)


async def _change_blocks(
    request: Request,
    change: Callable[[AsyncSession, Account, FormData], Awaitable[None]],
    anchor: str = "",
) -> Response:
    """Apply one form of the blocks page; a refused change shows the page with the error."""
    viewer = await require_viewer(request)
    form = await checked_form(request)
    try:
        async with runtime_of(request).db.transaction() as session:
            await change(session, viewer.account, form)
    except DomainError as exc:
        return await _blocks_page(request, error=exc)
    return RedirectResponse(f"/moderation/domain_blocks{anchor}", status_code=303)


async def unblock(request: Request) -> Response:
    viewer = await require_viewer(request)
    await checked_form(request)
    async with runtime_of(request).db.transaction() as session:
        await blocks.unblock_domain(
            session, actor=viewer.account, block_id=int(request.path_params["block_id"])
        )
    return RedirectResponse("/moderation/domain_blocks", status_code=303)


async def import_blocks(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    upload = form.get("file")
    text = forms.text(form, "csv")
    if isinstance(upload, UploadFile):
        raw = await upload.read(MAX_IMPORT + 1)
        text = raw.decode("utf-8", errors="replace") if raw else text
    try:
        async with runtime_of(request).db.transaction() as session:
            count = await blocks.import_domain_blocks(session, actor=viewer.account, text=text)
    except DomainError as exc:
        return await _blocks_page(request, error=exc)
    return await _blocks_page(request, notice=f"Imported {count} domain block(s).")


async def email_domain_blocks(request: Request) -> Response:
    async def block(session: AsyncSession, actor: Account, form: FormData) -> None:
        await blocks.block_email_domain(session, actor=actor, domain=forms.text(form, "domain"))

    return await _change_blocks(request, block, "#email")


async def block_ip(request: Request) -> Response:
    async def block(session: AsyncSession, actor: Account, form: FormData) -> None:
        await ip_rules.block_ip(
            session,
            actor=actor,
            ip=forms.text(form, "ip"),
            severity=forms.text(form, "severity"),
            comment=forms.text(form, "comment"),
            expires_in=forms.integer(form, "expires_in"),
        )

    response = await _change_blocks(request, block, "#ip")
    if response.status_code == 303:  # stored: other processes reload their lists
        await announce_change(runtime_of(request).broker)
    return response


async def unblock_ip(request: Request) -> Response:
    viewer = await require_viewer(request)
    await checked_form(request)
    async with runtime_of(request).db.transaction() as session:
        await ip_rules.unblock_ip(
            session, actor=viewer.account, block_id=request.path_params["block_id"]
        )
    await announce_change(runtime_of(request).broker)
    return RedirectResponse("/moderation/domain_blocks#ip", status_code=303)


async def export_blocks(request: Request) -> Response:
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        await require(session, viewer.account, Permission.MANAGE_BLOCKS)
        text = blocks.export_domain_blocks_csv(await blocks.list_domain_blocks(session))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"'},
    )


async def settings(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    error: DomainError | None = None
    notice = None
    values: dict[str, Any] | None = None
    if request.method == "POST":
        form = await checked_form(request)
        values = {
            "report_response_hours": forms.integer(form, "report_response_hours") or 0,
            "show_domain_blocks": forms.flag(form, "show_domain_blocks"),
            "terms_text": forms.text(form, "terms_text"),
            "privacy_text": forms.text(form, "privacy_text"),
            "contact_email": forms.text(form, "contact_email"),
            "escalation_webhook_url": forms.text(form, "escalation_webhook_url"),
            "registration_mode": forms.text(form, "registration_mode") or None,
        }
        try:
            async with runtime.db.transaction() as session:
                await policies.update_policies(session, actor=viewer.account, **values)
            notice = "Settings saved."
        except DomainError as exc:
            error = exc
    async with runtime.db.reader() as session:
        await require(session, viewer.account, Permission.MANAGE_SETTINGS)
        info = await get_instance_info(session)
        rules = await list_rules(session)
    if values is None or error is None:
        values = {
            "report_response_hours": info.report_response_hours,
            "show_domain_blocks": info.show_domain_blocks,
            "terms_text": info.terms_text,
            "privacy_text": info.privacy_text,
            "contact_email": info.contact_email,
            "escalation_webhook_url": info.escalation_webhook_url,
            "registration_mode": info.registration_mode,
        }
    return await render(
        request,
        "moderation/settings.html",
        {
            "values": values,
            "error": error,
            "notice": notice,
            "rules": rules,
            "registration_modes": RegistrationMode.ALL,
        },
        status_code=422 if error else 200,
    )


async def rules(request: Request) -> Response:
    """Add a server rule (`text`) or remove one (`remove` = its id)."""
    viewer = await require_viewer(request)
    form = await checked_form(request)
    removed = forms.integer(form, "remove")
    async with runtime_of(request).db.transaction() as session:
        if removed is not None:
            await policies.remove_server_rule(session, actor=viewer.account, rule_id=removed)
        else:
            await policies.add_server_rule(
                session, actor=viewer.account, text=forms.text(form, "text"),
                hint=forms.text(form, "hint"),
            )  # fmt: skip
    return RedirectResponse("/moderation/settings#rules", status_code=303)


async def pending(request: Request) -> Response:
    """Sign-ups waiting for approval, oldest first, each with its reason."""
    viewer = await require_viewer(request)
    async with runtime_of(request).db.reader() as session:
        found = await registrations.list_pending(session, moderator=viewer.account)
    return await render(request, "moderation/pending.html", {"pending": found})


async def decide_sign_up(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    account_id = request.path_params["account_id"]
    if request.path_params["decision"] not in ("approve", "reject"):
        raise NotFound("No such decision")
    async with runtime_of(request).db.transaction() as session:
        if request.path_params["decision"] == "approve":
            await registrations.approve_account(
                session, moderator=viewer.account, account_id=account_id
            )
        else:
            await registrations.reject_account(
                session, moderator=viewer.account, account_id=account_id,
                reason=forms.text(form, "reason"),
            )  # fmt: skip
    return RedirectResponse("/moderation/pending", status_code=303)


routes = [
    Route("/moderation/pending", pending),
    Route(
        "/moderation/pending/{account_id:int}/{decision:str}",
        decide_sign_up,
        methods=["POST"],
    ),
    Route("/moderation/audit", audit),
    Route("/moderation/audit.csv", audit_csv),
    Route("/moderation/domain_blocks", domain_blocks, methods=["GET", "POST"]),
    Route("/moderation/domain_blocks.csv", export_blocks),
    Route("/moderation/domain_blocks/import", import_blocks, methods=["POST"]),
    Route("/moderation/domain_blocks/{block_id:int}/delete", unblock, methods=["POST"]),
    Route("/moderation/email_domain_blocks", email_domain_blocks, methods=["POST"]),
    Route("/moderation/ip_blocks", block_ip, methods=["POST"]),
    Route("/moderation/ip_blocks/{block_id:int}/delete", unblock_ip, methods=["POST"]),
    Route("/moderation/settings", settings, methods=["GET", "POST"]),
    Route("/moderation/rules", rules, methods=["POST"]),
]
