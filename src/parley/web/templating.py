"""Rendering pages: one Jinja2 environment, one `render` that every handler uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from parley.web.csrf import csrf_token, set_csrf_cookie
from parley.web.viewer import current_viewer, runtime_of

TEMPLATES = Path(__file__).parent / "templates"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        enable_async=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from parley.web import filters  # registers the filters the templates use

    filters.register(env)
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


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
    page = {
        "request": request,
        "viewer": viewer,
        "csrf_token": csrf_token(request),
        "instance_domain": runtime.settings.domain,
        "base_url": runtime.settings.base_url,
        "htmx": is_htmx(request),
        **(context or {}),
    }
    html = env.get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    set_csrf_cookie(request, response, secure=runtime.settings.secure_cookies)
    return response
