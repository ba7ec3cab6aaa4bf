"""Rendering pages: one Jinja2 environment, one `render` that every handler uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse

from parley.domain.instance.service import (
    InstanceInfo,
    InstanceInfoCache,
    local_changes,
    settings_version,
)
from parley.domain.moderation.queries import count_open_reports
from parley.domain.notifications.queries import unread_count
from parley.domain.pagination import MAX_LIMIT, PageRequest
from parley.domain.relationships.queries import list_follow_requests
from parley.web import filters, icons
from parley.web.csrf import csrf_token, set_csrf_cookie
from parley.web.post_cards import PostCards
from parley.web.viewer import (
    Viewer,
    current_viewer,
    request_reader,
    runtime_of,
    unread_at_start,
)

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class NavCounts:
    """The numbers in the navigation: unread notifications, pending follow requests."""

    unread: int = 0
    follow_requests: int = 0
    open_reports: int = 0  # staff only


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        enable_async=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters.register(env)
    env.globals["svg_icon"] = icons.icon
    env.globals["nav_link"] = nav_link
    cards = PostCards()
    env.globals["post_cards"] = cards
    env.globals["post_card"] = cards.render
    return env


@pass_context
def nav_link(
    context: Context, href: str, icon: str, label: str, count: int = 0, secondary: bool = False
) -> Markup:
    """One link of the navigation rail (`item` in base.html): marked as the current page
    when the page is it or below it, with a badge for a count. A Python global rather than a
    macro: a page shows a dozen of them, and a macro call costs far more."""
    here = context["request"].url.path
    current = here == href or (href != "/" and here.startswith(href + "/"))
    html = f'<a href="{escape(href)}"'
    if current:
        html += ' aria-current="page"'
    if secondary:
        html += ' class="nav-secondary"'
    html += f'>{icons.icon(icon)}<span class="nav-label">{escape(label)}</span>'
    if count:
        shown = count if count < 100 else "99+"
        html += f'<span class="badge">{shown}<span class="visually-hidden"> unread</span></span>'
    return Markup(html + "</a>")  # noqa: S704 (the values are escaped or numbers)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def site_info(request: Request, session: AsyncSession | None = None) -> InstanceInfo:
    """The instance settings from a per-process copy kept while their version holds (see
    InstanceInfoCache); the version is read once per request, by the viewer lookup if any."""
    if session is None:
        async with request_reader(request) as session:
            return await site_info(request, session)
    cache: InstanceInfoCache | None = request.app.state._state.get("instance_info")
    if cache is None:
        default = runtime_of(request).settings.max_post_chars_default
        cache = request.app.state.instance_info = InstanceInfoCache(max_post_chars_default=default)
    # (version, local_changes() when it was read): a change made since by this process, maybe
    # in this very request, makes it out of date.
    known = request.state._state.get("settings_version")
    if known is None or known[1] != local_changes():
        changes = local_changes()  # before reading: a change meanwhile makes it re-read
        known = (await session.scalar(select(settings_version())), changes)
        request.state.settings_version = known
    return await cache.get(session, known[0])


async def _chrome(request: Request, viewer: Viewer | None) -> tuple[InstanceInfo, NavCounts]:
    """What every full page shows around its content: the server's name and the nav counts."""
    async with request_reader(request) as session:
        info = await site_info(request, session)
        counts = NavCounts()
        if viewer is not None:
            counts = await nav_counts(session, viewer, unread=unread_at_start(request))
    return info, counts


async def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    runtime = runtime_of(request)
    env: Environment = request.app.state.jinja
    viewer = await current_viewer(request)
    # htmx partials are swapped into a page that already has the chrome.
    partial = template.rpartition("/")[2].startswith("_")
    info, counts = (None, NavCounts()) if partial else await _chrome(request, viewer)
    csrf = LazyCsrf(request)
    page = {
        "request": request,
        "viewer": viewer,
        "csrf_token": csrf,
        "instance_domain": runtime.settings.domain,
        "base_url": runtime.settings.base_url,
        "htmx": is_htmx(request),
        "site": info,
        "nav": counts,
        **(context or {}),
    }
    html = env.get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if csrf.shown_in(html):
        if "cache-control" not in response.headers:
            # The page holds this browser's CSRF token: no shared cache may keep it.
            response.headers["Cache-Control"] = "private, no-store"
    else:
        request.state._state.pop("new_csrf", None)  # no form here: no cookie needed yet
    set_csrf_cookie(request, response, secure=runtime.settings.secure_cookies)
    return response


class LazyCsrf:
    """The CSRF token, made (and its cookie set) only if the page shows it: anonymous pages
    without a form then carry no per-browser token and can be cached publicly."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = csrf_token(self.request)
        return self.value

    def __html__(self) -> str:
        return str(self)

    def shown_in(self, html: str) -> bool:
        return self.value is not None and self.value in html


async def nav_counts(
    session: AsyncSession, viewer: Viewer, *, unread: int | None = None
) -> NavCounts:
    """Unread notifications (capped, as apps show "99+"; `unread` when already counted) and,
    for a locked account, requests; for staff, open reports."""
    me = viewer.account.id
    requests = 0
    if viewer.account.locked:
        requests = len(await list_follow_requests(session, me, PageRequest(limit=MAX_LIMIT)))
    reports = await count_open_reports(session) if viewer.is_staff else 0
    if unread is None:
        unread = await unread_count(session, me)
    return NavCounts(unread=unread, follow_requests=requests, open_reports=reports)
