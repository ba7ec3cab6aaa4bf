"""CSRF protection for every form (double-submit token).

Each browser gets a random token in an HttpOnly, SameSite=Lax cookie; every page embeds the
same token in its forms (and htmx sends it as X-CSRF-Token). A POST whose token is missing
or differs is refused before any handler runs its command: `checked_form` is the only way
web handlers read a form.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "parley_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfError(Exception):
    """The form's CSRF token is missing or wrong."""


def csrf_token(request: Request) -> str:
    """This browser's token (a new one is made, and set as a cookie, on first use)."""
    token = request.cookies.get(CSRF_COOKIE) or request.state._state.get("new_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return str(token)


def set_csrf_cookie(request: Request, response: Response, *, secure: bool) -> None:
    token = request.state._state.get("new_csrf")
    if token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=365 * 86400
        )


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against this browser's cookie."""
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    # As bytes: compare_digest refuses non-ASCII str, and both values come from the client.
    matches = secrets.compare_digest(cookie.encode(), sent.encode())
    if not cookie or not sent or not matches:
        raise CsrfError("The form was out of date or not sent from this site; please try again")
    return form
