"""Invitation links in the web UI: a member creates them (with a use limit and an expiry),
lists and revokes them; admins also see and may revoke everyone's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.accounts import invites
from parley.domain.accounts.models import Invite
from parley.domain.errors import DomainError
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import Viewer, require_viewer, runtime_of


async def _page(request: Request, viewer: Viewer, *, error: DomainError | None = None) -> Response:
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        mine = await invites.list_invites(session, account=viewer.account)
        everyone: list[Invite] = []
        if viewer.user.role in ("admin", "owner"):
            everyone = [i for i in await invites.list_invites(session, account=None)
                        if i.account_id != viewer.account.id]  # fmt: skip
    return await render(
        request,
        "invites/index.html",
        {"mine": mine, "everyone": everyone, "error": error, "usable": invites.is_usable,
         "max_uses_choices": invites.MAX_USES_CHOICES,
         "expiry_choices": list(invites.EXPIRY_CHOICES),
         "notice": "Invitation created." if request.query_params.get("created") else None},
        status_code=422 if error else 200,
    )  # fmt: skip


async def index(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "GET":
        return await _page(request, viewer)
    form = await checked_form(request)
    try:
        max_uses = forms.integer(form, "max_uses")
        expires_in = forms.text(form, "expires_in") or None
        async with runtime_of(request).db.transaction() as session:
            await invites.create_invite(
                session, account=viewer.account, max_uses=max_uses, expires_in=expires_in
            )
    except DomainError as exc:
        return await _page(request, viewer, error=exc)
    return RedirectResponse("/settings/invites?created=1", status_code=303)


async def revoke(request: Request) -> Response:
    viewer = await require_viewer(request)
    await checked_form(request)
    async with runtime_of(request).db.transaction() as session:
        await invites.revoke_invite(
            session, actor=viewer.account, invite_id=request.path_params["invite_id"]
        )
    return RedirectResponse("/settings/invites", status_code=303)


routes = [
    Route("/settings/invites", index, methods=["GET", "POST"]),
    Route("/settings/invites/{invite_id:int}/revoke", revoke, methods=["POST"]),
]
