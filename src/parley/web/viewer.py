"""Who is looking: the signed-in member of this request, from the session cookie."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from parley.domain.accounts.models import Account, Role, User
from parley.domain.accounts.service import find_web_session
from parley.domain.errors import Unauthenticated
from parley.runtime import Runtime

SESSION_COOKIE = "parley_session"


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    account: Account

    @property
    def is_staff(self) -> bool:
        return self.user.role in (Role.OWNER, Role.ADMIN, Role.MODERATOR)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def current_viewer(request: Request) -> Viewer | None:
    """The signed-in member, or None; looked up once per request."""
    if "viewer" in request.state._state:
        viewer: Viewer | None = request.state.viewer
        return viewer
    viewer = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with runtime_of(request).db.reader() as session:
            found = await find_web_session(session, token)
        if found is not None:
            viewer = Viewer(user=found[0], account=found[1])
    request.state.viewer = viewer
    return viewer


async def require_viewer(request: Request) -> Viewer:
    viewer = await current_viewer(request)
    if viewer is None:
        raise Unauthenticated("Sign in to continue")
    return viewer


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = runtime_of(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_max_age_days * 86400,
    )
