"""/oauth/authorize: a member signs in (if needed) and lets an app act for them.

Lives in the web adapter because it uses the browser session and CSRF-checked forms; the grant
rules are in parley.domain.oauth. An unknown app or redirect URI is shown here and never
redirected to; other refusals go back to the app as `?error=...&state=...` (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.accounts import service as accounts
from parley.domain.accounts import twofactor
from parley.domain.errors import Forbidden, Invalid, Unauthenticated
from parley.domain.moderation.ip_blocks import check_ip_access
from parley.domain.oauth import service as oauth
from parley.domain.oauth.errors import OAuthError
from parley.domain.oauth.service import OOB, AuthorizationRequest
from parley.web.csrf import checked_form
from parley.web.routes.auth import client_ip
from parley.web.templating import render
from parley.web.viewer import Viewer, current_viewer, runtime_of, set_session_cookie

OAUTH_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
SCOPE_WORDS = {
    "read": "Read everything your account can see",
    "write": "Post, edit and delete, upvote, echo and change your profile",
    "follow": "Follow, block and mute accounts",
    "push": "Receive push notifications (not available on this server yet)",
    "profile": "See your profile's basic information",
}


def _describe(scope: str) -> str:
    if scope in SCOPE_WORDS:
        return SCOPE_WORDS[scope]
    kind, _, what = scope.partition(":")
    verb = "Read" if kind == "read" else "Change"
    return f"{verb} your {what.replace('_', ' ')}"


def _redirect_back(auth: AuthorizationRequest, **params: str) -> RedirectResponse:
    if auth.state:
        params["state"] = auth.state
    separator = "&" if "?" in auth.redirect_uri else "?"
    return RedirectResponse(f"{auth.redirect_uri}{separator}{urlencode(params)}", status_code=303)


async def _check(request: Request, values: Mapping[str, str]) -> AuthorizationRequest:
    async with runtime_of(request).db.reader() as session:
        return await oauth.check_authorization_request(
            session,
            client_id=values.get("client_id"),
            redirect_uri=values.get("redirect_uri"),
            response_type=values.get("response_type"),
            scope=values.get("scope"),
            state=values.get("state") or None,
            code_challenge=values.get("code_challenge") or None,
            code_challenge_method=values.get("code_challenge_method") or None,
        )


async def _page(
    request: Request,
    auth: AuthorizationRequest,
    values: Mapping[str, str],
    *,
    viewer: Viewer | None,
    error: str | None = None,
    login: str = "",
    needs_code: bool = False,
    status_code: int = 200,
) -> Response:
    return await render(
        request,
        "oauth/authorize.html",
        {
            "auth": auth,
            "oauth_values": {k: values.get(k, "") for k in OAUTH_FIELDS},
            "scopes": [(s, _describe(s)) for s in auth.scopes],
            "signed_in_as": viewer,
            "error": error,
            "login": login,
            "needs_code": needs_code,
        },
        status_code=status_code,
    )


async def _refused(request: Request, exc: Invalid) -> Response:
    return await render(
        request,
        "oauth/error.html",
        {"message": exc.message},
        status_code=400,
    )


async def authorize(request: Request) -> Response:
    if request.method == "POST":
        return await _decide(request)
    values = dict(request.query_params)
    try:
        auth = await _check(request, values)
    except Invalid as exc:
        return await _refused(request, exc)
    except OAuthError as exc:
        return await _error_back(request, exc, values)
    viewer = await current_viewer(request)
    if values.get("force_login", "").lower() in ("1", "true"):
        viewer = None
    return await _page(request, auth, values, viewer=viewer)


async def _error_back(request: Request, exc: OAuthError, values: Mapping[str, str]) -> Response:
    """An OAuth error for a known app: sent back to it, or shown when it uses the oob page."""
    uri = values.get("redirect_uri", "")
    if not uri or uri == OOB:
        return await render(request, "oauth/error.html", {"message": exc.message}, status_code=400)
    params = {"error": exc.code, "error_description": exc.message}
    if values.get("state"):
        params["state"] = values["state"]
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=303)


async def _decide(request: Request) -> Response:
    form = await checked_form(request)
    values = {k: str(form.get(k, "")) for k in OAUTH_FIELDS}
    try:
        auth = await _check(request, values)
    except Invalid as exc:
        return await _refused(request, exc)
    except OAuthError as exc:
        return await _error_back(request, exc, values)
    action = str(form.get("action", ""))
    if action == "sign_in":
        return await _sign_in(request, auth, values, form)
    viewer = await current_viewer(request)
    if viewer is None:
        return await _page(request, auth, values, viewer=None, status_code=401)
    if action == "deny":
        if auth.redirect_uri == OOB:
            return await render(request, "oauth/error.html", {"message": "You denied the request."})
        return _redirect_back(auth, error="access_denied", error_description="Denied")
    if action != "approve":
        return await _page(request, auth, values, viewer=viewer, status_code=400)
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        code = await oauth.issue_authorization_code(
            session, request=auth, account_id=viewer.account.id
        )
    if auth.redirect_uri == OOB:
        return await render(request, "oauth/code.html", {"code": code, "auth": auth})
    return _redirect_back(auth, code=code)


async def _sign_in(
    request: Request,
    auth: AuthorizationRequest,
    values: Mapping[str, str],
    form: Mapping[str, object],
) -> Response:
    runtime = runtime_of(request)
    login = str(form.get("login", ""))
    second = str(form.get("otp", "")).strip()
    error: str | None = None
    needs_code = False
    token: str | None = None
    async with runtime.db.transaction() as session:
        try:
            await check_ip_access(session, client_ip(request))
            user = await accounts.authenticate(
                session, runtime.ctx, login=login, password=str(form.get("password", ""))
            )
        except (Unauthenticated, Forbidden) as exc:
            # The failed-attempt counter is committed with this transaction.
            error = exc.message
        else:
            if user.totp_secret is not None and not (
                second and twofactor.verify_second_factor(user, second)
            ):
                needs_code = True
                error = "That code is not correct" if second else "Enter your two-factor code"
            else:
                token = await accounts.start_web_session(
                    session,
                    runtime.ctx,
                    user=user,
                    user_agent=request.headers.get("user-agent", ""),
                )
    if token is None:
        return await _page(
            request,
            auth,
            values,
            viewer=None,
            error=error,
            login=login,
            needs_code=needs_code,
            status_code=401,
        )
    # The browser is now signed in (as with the ordinary sign-in page); ask for consent.
    async with runtime.db.reader() as session:
        found = await accounts.find_web_session(session, token)
    viewer = Viewer(user=found[0], account=found[1]) if found else None
    request.state.viewer = viewer
    response = await _page(request, auth, values, viewer=viewer)
    set_session_cookie(request, response, token)
    return response


routes = [Route("/oauth/authorize", authorize, methods=["GET", "POST"])]
