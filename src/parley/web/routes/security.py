"""Two-factor sign-in settings: set up with a QR code, confirm, recovery codes, turn off."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.accounts import twofactor
from parley.domain.accounts.queries import get_user_for_account
from parley.domain.errors import DomainError, Invalid
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.signing import sign, unsign
from parley.web.templating import render
from parley.web.viewer import Viewer, require_viewer, runtime_of

SETUP_TTL = 15 * 60


def _setup_page(viewer: Viewer, uri: str, signed_uri: str) -> dict[str, object]:
    """The QR code (inline SVG, drawn here so no third party sees the secret) and the secret."""
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, border=0, dark="#000", light="#fff")
    secret = parse_qs(urlsplit(uri).query).get("secret", [""])[0]
    return {"qr_svg": qr_svg, "secret": secret, "signed_uri": signed_uri}


async def overview(request: Request) -> Response:
    viewer = await require_viewer(request)
    return await render(
        request,
        "settings/two_factor.html",
        {
            "enabled": viewer.user.totp_secret is not None,
            "codes_left": len(viewer.user.recovery_codes or []),
            "error": None,
            "notice": "Two-factor sign-in is off." if request.query_params.get("off") else None,
        },
    )


async def begin(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    await checked_form(request)
    async with runtime.db.transaction() as session:
        user = await get_user_for_account(session, viewer.account.id)
        uri = twofactor.begin_setup(
            user, account_label=f"{viewer.account.username}@{runtime.settings.domain}"
        )
    signed = sign(runtime.settings.secret_key, uri, ttl_seconds=SETUP_TTL)
    return await render(
        request, "settings/two_factor_setup.html", {**_setup_page(viewer, uri, signed)}
    )


async def confirm(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    form = await checked_form(request)
    signed = forms.text(form, "setup")
    try:
        async with runtime.db.transaction() as session:
            user = await get_user_for_account(session, viewer.account.id)
            codes = twofactor.confirm_setup(user, forms.text(form, "code"))
    except DomainError as exc:
        uri = unsign(runtime.settings.secret_key, signed)
        if uri is None:  # the setup page is stale: start again with a fresh secret
            return RedirectResponse("/settings/two_factor", status_code=303)
        return await render(
            request,
            "settings/two_factor_setup.html",
            {**_setup_page(viewer, uri, signed), "error": exc},
            status_code=422,
        )
    # Shown once, in this response only; they are stored hashed.
    return await render(request, "settings/two_factor_codes.html", {"codes": codes})


async def turn_off(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    form = await checked_form(request)
    try:
        async with runtime.db.transaction() as session:
            user = await get_user_for_account(session, viewer.account.id)
            if not twofactor.verify_second_factor(user, forms.text(form, "code")):
                raise Invalid("code", "That code is not correct")
            twofactor.disable(user)
    except DomainError as exc:
        return await render(
            request,
            "settings/two_factor.html",
            {
                "enabled": True,
                "codes_left": len(viewer.user.recovery_codes or []),
                "error": exc,
            },
            status_code=422,
        )
    return RedirectResponse("/settings/two_factor?off=1", status_code=303)


routes = [
    Route("/settings/two_factor", overview),
    Route("/settings/two_factor/setup", begin, methods=["POST"]),
    Route("/settings/two_factor/confirm", confirm, methods=["POST"]),
    Route("/settings/two_factor/disable", turn_off, methods=["POST"]),
]
