"""Domain errors as pages: the one place the web UI maps them to its convention."""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from parley.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from parley.web.csrf import CsrfError
from parley.web.templating import render


async def _page(request: Request, status: int, title: str, message: str) -> Response:
    return await render(
        request,
        "errors/error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, Unauthenticated):
        if request.method == "GET":
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/auth/sign_in?next={target}", status_code=303)
        return await _page(request, 401, "Sign in required", exc.message)
    if isinstance(exc, NotFound):
        return await _page(
            request, 404, "Not found", "This page does not exist, or you cannot see it."
        )
    if isinstance(exc, Forbidden):
        return await _page(request, 403, "Not allowed", exc.message)
    if isinstance(exc, RateLimited):
        response = await _page(request, 429, "Slow down", exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Invalid | Conflict):
        return await _page(request, 422, "That did not work", exc.message)
    return await _page(request, 400, "That did not work", exc.message)


async def csrf_error(request: Request, exc: Exception) -> Response:
    return await _page(request, 403, "Form expired", str(exc))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "Not found", 405: "Not allowed", 400: "Bad request"}
    return await _page(request, exc.status_code, titles.get(exc.status_code, "Error"), exc.detail)


HANDLERS = {DomainError: domain_error, CsrfError: csrf_error, HTTPException: http_error}
