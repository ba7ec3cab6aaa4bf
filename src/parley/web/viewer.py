"""Who is looking: the signed-in member of this request, from the session cookie."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, Role, User
from parley.domain.accounts.service import find_web_session_row, web_session_lookup
from parley.domain.errors import Forbidden, Unauthenticated
from parley.domain.filters.queries import has_filters
from parley.domain.instance.service import local_changes, settings_version
from parley.domain.notifications.queries import UNREAD_CAP, unread_count_column
from parley.infra.tokens import digest
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


Endpoint = Callable[[Request], Awaitable[Response]]


def one_reader(endpoint: Endpoint) -> Endpoint:
    """Wrap the endpoint of a page that changes nothing so that the reads of the request (the
    viewer, the page itself through request_reader, the viewer's filters and the navigation)
    share one database session instead of opening one each (with aiosqlite each session
    costs a few thread hand-offs), and the viewer lookup also counts the navigation's unread
    notifications (see _reads_only). The session lives until the endpoint returns."""

    @functools.wraps(endpoint)
    async def with_one_reader(request: Request) -> Response:
        async with runtime_of(request).db.reader() as session:
            request.state.reader = session
            try:
                return await endpoint(request)
            finally:
                del request.state.reader

    return with_one_reader


@asynccontextmanager
async def request_reader(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads: the request's shared one (see one_reader), else a new one.

    Objects read through it come out detached, as from a closed session, so a later read in
    the same request loads them afresh instead of finding the first copy."""
    shared: AsyncSession | None = request.state._state.get("reader")
    if shared is None:
        async with runtime_of(request).db.reader() as session:
            yield session
        return
    try:
        yield shared
    finally:
        shared.expunge_all()


@functools.cache
def _lookup(with_unread: bool) -> Any:
    # Along with the member: the instance settings' version (see templating.site_info),
    # whether they have filters at all (see routes.filters.apply_filters) and, for a page
    # that changes nothing, the navigation's unread count (see templating.nav_counts).
    also = [settings_version(), has_filters(Account.id)]
    if with_unread:
        also.append(unread_count_column())
    return web_session_lookup(*also)


# The account of each browser session seen lately, by token digest. The unread count needs
# the account id as a bound value (it counts in a derived table, which cannot refer to the
# outer query): a session's account never changes, and the row found is checked anyway.
_ACCOUNT_OF_SESSION: OrderedDict[str, int] = OrderedDict()
ACCOUNT_HINTS = 10_000


def _account_hint(key: str) -> int | None:
    account_id = _ACCOUNT_OF_SESSION.get(key)
    if account_id is not None:
        _ACCOUNT_OF_SESSION.move_to_end(key)
    return account_id


def _remember_account(key: str, account_id: int) -> None:
    _ACCOUNT_OF_SESSION[key] = account_id
    if len(_ACCOUNT_OF_SESSION) > ACCOUNT_HINTS:
        _ACCOUNT_OF_SESSION.popitem(last=False)


def _reads_only(request: Request) -> bool:
    """A full page that changes nothing (a GET in one_reader): what it counts at the start of
    the request still holds when it renders."""
    return (
        "reader" in request.state._state
        and request.method == "GET"
        and request.headers.get("hx-request") != "true"
    )


async def current_viewer(request: Request) -> Viewer | None:
    """The signed-in member, or None; looked up once per request."""
    if "viewer" in request.state._state:
        viewer: Viewer | None = request.state.viewer
        return viewer
    viewer = suspended = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        changes = local_changes()
        key = digest(token)
        hint = _account_hint(key) if _reads_only(request) else None
        parameters = {"account_id": hint, "now": utcnow(), "cap": UNREAD_CAP}
        async with request_reader(request) as session:
            found = await find_web_session_row(
                session, token, _lookup(hint is not None), None if hint is None else parameters
            )
        if found is not None:
            viewer = Viewer(user=found[1], account=found[2])
            request.state.settings_version = (found[3], changes)
            request.state.viewer_has_filters = bool(found[4])
            if hint is not None and hint == viewer.account.id:
                request.state.unread = int(found[5] or 0)
            _remember_account(key, viewer.account.id)
        if viewer is not None and viewer.account.suspended_at is not None:
            # Signed in only to read the decision and appeal it: everywhere else a stranger.
            viewer, suspended = None, viewer
    request.state.viewer = viewer
    request.state.suspended_viewer = suspended
    return viewer


def unread_at_start(request: Request) -> int | None:
    """The unread notifications counted by the viewer lookup of a page that changes nothing
    (see _reads_only), or None when not counted there."""
    found: int | None = request.state._state.get("unread")
    return found


def viewer_has_filters(request: Request) -> bool:
    """False when the viewer lookup found that the member has no filter (True if unknown)."""
    return bool(request.state._state.get("viewer_has_filters", True))


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
