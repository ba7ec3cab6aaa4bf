"""Who is looking: the signed-in member of this request, from the session cookie."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from parley.domain.accounts.models import Account, Role, User
from parley.domain.accounts.service import find_web_session
from parley.domain.errors import Forbidden, Unauthenticated
from parley.runtime import Runtime

SESSION_COOKIE = "parley_session"
SUSPENDED_MESSAGE = (
    "Your account is suspended. You can read the moderators' decision and appeal it on the "
    "appeal page (/settings/strikes); nothing else is available."
)


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
    viewer = suspended = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with runtime_of(request).db.reader() as session:
            found = await find_web_session(session, token)
        if found is not None:
            viewer = Viewer(user=found[0], account=found[1])
        if viewer is not None and viewer.account.suspended_at is not None:
            # Signed in only to read the decision and appeal it: everywhere else a stranger.
            viewer, suspended = None, viewer
    request.state.viewer = viewer
    request.state.suspended_viewer = suspended
    return viewer


async def suspended_viewer(request: Request) -> Viewer | None:
    """The signed-in member whose account is suspended (see /settings/strikes), or None."""
    await current_viewer(request)
    found: Viewer | None = getattr(request.state, "suspended_viewer", None)
    return found


async def require_viewer(request: Request) -> Viewer:
    viewer = await current_viewer(request)
    if viewer is None:
        if await suspended_viewer(request) is not None:
            raise Forbidden(SUSPENDED_MESSAGE)
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
