"""Sign-up, sign-in (with the second factor), sign-out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.accounts import invites, throttle, twofactor
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, User
from parley.domain.errors import (
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from parley.domain.instance.service import get_instance_info, list_rules
from parley.domain.moderation.ip_blocks import check_ip_access
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.signing import sign, unsign
from parley.web.templating import render
from parley.web.viewer import SESSION_COOKIE, current_viewer, runtime_of, set_session_cookie

PENDING_2FA_COOKIE = "parley_2fa"
APPEAL_PAGE = "/settings/strikes"


async def is_suspended(session: AsyncSession, user: User) -> bool:
    account = await session.get(Account, user.account_id)
    return account is not None and account.suspended_at is not None


def safe_next(target: str | None) -> str:
    """Only same-site paths, so a link cannot bounce a member to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/home"


def _signed_in(request: Request, token: str, target: str) -> Response:
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(PENDING_2FA_COOKIE)
    return response


def client_ip(request: Request) -> str | None:
    """The browser's address (behind nginx, uvicorn's proxy_headers put the real one here)."""
    return request.client.host if request.client else None


async def sign_up(request: Request) -> Response:
    runtime = runtime_of(request)
    values: dict[str, str] = {}
    error: DomainError | None = None
    if request.method == "POST":
        form = await checked_form(request)
        values = {
            k: forms.text(form, k) for k in ("username", "email", "agreement", "reason", "invite")
        }
        password = forms.text(form, "password")
        try:
            if password != forms.text(form, "password_confirmation"):
                raise Invalid("password_confirmation", "The two passwords do not match")
            async with runtime.db.transaction() as session:
                user = await accounts.register(
                    session,
                    runtime.ctx,
                    username=values["username"],
                    email=values["email"],
                    password=password,
                    rules_accepted=forms.flag(form, "agreement"),
                    reason=values["reason"],
                    invite_code=values["invite"] or None,
                    ip=client_ip(request),
                )
                if not user.approved:
                    return await render(request, "auth/pending.html", {"email": user.email})
                token = await accounts.start_web_session(
                    session,
                    runtime.ctx,
                    user=user,
                    user_agent=request.headers.get("user-agent", ""),
                )
            return _signed_in(request, token, "/home")
        except DomainError as exc:
            error = exc
    status = 200 if error is None else 403 if isinstance(error, Forbidden) else 422
    return await _sign_up_page(request, values, error, status_code=status)


async def _sign_up_page(
    request: Request,
    values: dict[str, str],
    error: DomainError | None,
    *,
    status_code: int = 200,
    invite_broken: bool = False,
) -> Response:
    async with runtime_of(request).db.reader() as session:
        rules = await list_rules(session)
        info = await get_instance_info(session)
    return await render(
        request,
        "auth/sign_up.html",
        {"rules": rules, "info": info, "values": values, "error": error,
         "invite_broken": invite_broken},
        status_code=status_code,
    )  # fmt: skip


async def invite_sign_up(request: Request) -> Response:
    """/invite/<code>: the sign-up form carrying the invitation (404 for an unknown code, 410
    with the reason for one that expired, was revoked or is used up)."""
    code = request.path_params["code"]
    broken: Invalid | None = None
    async with runtime_of(request).db.reader() as session:
        if await invites.find_invite(session, code) is None:
            raise NotFound("This invitation does not exist")
        try:
            await invites.get_usable_invite(session, code)
        except Invalid as exc:
            broken = Invalid("invite", exc.message)
    if broken is not None:
        return await _sign_up_page(request, {}, broken, status_code=410, invite_broken=True)
    return await _sign_up_page(request, {"invite": code}, None)


async def sign_in(request: Request) -> Response:
    runtime = runtime_of(request)
    target = request.query_params.get("next", "/home")
    error: DomainError | None = None
    login = ""
    if request.method == "POST":
        form = await checked_form(request)
        login = forms.text(form, "login")
        target = forms.text(form, "next", target)
        try:
            async with runtime.db.transaction() as session:
                await check_ip_access(session, client_ip(request))
                try:
                    user = await accounts.authenticate(
                        session,
                        runtime.ctx,
                        login=login,
                        password=forms.text(form, "password"),
                        allow_suspended=True,
                    )
                except Unauthenticated as exc:
                    error = exc  # the failed-attempt counter is committed with this transaction
                    user = None
                if user is not None and await is_suspended(session, user):
                    target = APPEAL_PAGE  # the one page a suspended member may use
                if user is not None and user.totp_secret is None:
                    token = await accounts.start_web_session(
                        session,
                        runtime.ctx,
                        user=user,
                        user_agent=request.headers.get("user-agent", ""),
                    )
                    return _signed_in(request, token, target)
            if user is not None:
                response = RedirectResponse(
                    f"/auth/two_factor?next={safe_next(target)}", status_code=303
                )
                response.set_cookie(
                    PENDING_2FA_COOKIE,
                    sign(runtime.settings.secret_key, str(user.id), ttl_seconds=300),
                    httponly=True,
                    samesite="lax",
                    secure=runtime.settings.secure_cookies,
                    max_age=300,
                )
                return response
        except DomainError as exc:
            error = exc
    elif await current_viewer(request) is not None:
        return RedirectResponse(safe_next(target), status_code=303)
    return await render(
        request,
        "auth/sign_in.html",
        {
            "login": login,
            "next": safe_next(target),
            "error": error,
            "notice": "Your password was changed. Sign in with the new one."
            if request.query_params.get("reset")
            else None,
        },
        status_code=429 if isinstance(error, RateLimited) else 401 if error else 200,
    )


async def two_factor(request: Request) -> Response:
    runtime = runtime_of(request)
    target = request.query_params.get("next", "/home")
    pending = unsign(runtime.settings.secret_key, request.cookies.get(PENDING_2FA_COOKIE, ""))
    if pending is None or not pending.isdigit():
        return RedirectResponse("/auth/sign_in", status_code=303)
    error: str | None = None
    if request.method == "POST":
        form = await checked_form(request)
        target = forms.text(form, "next", target)
        await throttle.check_second_factor(runtime.ctx, int(pending))
        async with runtime.db.transaction() as session:
            user = await session.get(User, int(pending))
            if user is not None and twofactor.verify_second_factor(user, forms.text(form, "code")):
                token = await accounts.start_web_session(
                    session,
                    runtime.ctx,
                    user=user,
                    user_agent=request.headers.get("user-agent", ""),
                )
                return _signed_in(request, token, target)
        await throttle.note_failed_second_factor(runtime.ctx, int(pending))
        error = "That code is not correct"
    return await render(
        request,
        "auth/two_factor.html",
        {"next": safe_next(target), "error": error},
        status_code=401 if error else 200,
    )


async def sign_out(request: Request) -> Response:
    await checked_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with runtime_of(request).db.transaction() as session:
            await accounts.end_web_session(session, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def forgot_password(request: Request) -> Response:
    """Always answers the same, so the form cannot be used to find out who has an account."""
    runtime = runtime_of(request)
    email = ""
    sent = False
    if request.method == "POST":
        form = await checked_form(request)
        email = forms.text(form, "email")
        async with runtime.db.transaction() as session:
            await accounts.request_password_reset(session, runtime.ctx, email=email)
        sent = True
    return await render(request, "auth/forgot_password.html", {"email": email, "sent": sent})


async def reset_password(request: Request) -> Response:
    runtime = runtime_of(request)
    token = request.path_params["token"]
    error: DomainError | None = None
    if request.method == "POST":
        form = await checked_form(request)
        password = forms.text(form, "password")
        try:
            if password != forms.text(form, "password_confirmation"):
                raise Invalid("password_confirmation", "The two passwords do not match")
            async with runtime.db.transaction() as session:
                await accounts.reset_password(
                    session, runtime.ctx, token=token, new_password=password
                )
            return RedirectResponse("/auth/sign_in?reset=1", status_code=303)
        except DomainError as exc:
            error = exc
    return await render(
        request,
        "auth/reset_password.html",
        {"token": token, "error": error},
        status_code=422 if error else 200,
    )


routes = [
    Route("/auth/sign_up", sign_up, methods=["GET", "POST"]),
    Route("/invite/{code}", invite_sign_up),
    Route("/auth/sign_in", sign_in, methods=["GET", "POST"]),
    Route("/auth/two_factor", two_factor, methods=["GET", "POST"]),
    Route("/auth/sign_out", sign_out, methods=["POST"]),
    Route("/auth/password/forgot", forgot_password, methods=["GET", "POST"]),
    Route("/auth/reset/{token}", reset_password, methods=["GET", "POST"]),
]
