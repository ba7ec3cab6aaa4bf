"""The admin's under-attack switch (/moderation/under_attack); also `parley admin under-attack`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import Invalid
from parley.domain.instance import attack_mode
from parley.domain.moderation.permissions import Permission, require
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of


async def under_attack(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        await require(session, viewer.account, Permission.MANAGE_SETTINGS)
    notice = None
    if request.method == "POST":
        form = await checked_form(request)
        state = forms.text(form, "state")
        if state not in ("on", "off"):
            raise Invalid("state", "Choose on or off")
        async with runtime.db.transaction() as session:
            await attack_mode.set_under_attack(session, on=state == "on")
        notice = f"Under-attack mode is {state}. Every server process follows within seconds."
    async with runtime.db.reader() as session:
        mode = await attack_mode.get_attack_mode(session)
    return await render(
        request,
        "moderation/under_attack.html",
        {
            "mode": mode,
            "active": mode.active(),
            "notice": notice,
            "settings": runtime.settings,
        },
    )


routes = [Route("/moderation/under_attack", under_attack, methods=["GET", "POST"])]
