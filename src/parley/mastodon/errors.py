"""Errors as Mastodon answers them: `{"error": ...}` with Mastodon's status codes.

The one place where domain errors become HTTP answers for this door.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from parley.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from parley.domain.oauth.errors import OAuthError
from parley.mastodon.responses import json_response

NOT_FOUND = "Record not found"
INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (a message, not a secret)
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NEEDS_USER = "This method requires an authenticated user"


class ApiError(Exception):
    """An answer decided by the adapter itself (bad token, missing scope, unparseable body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, **extra: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="Doorkeeper"'} if status == 401 else None
    return json_response({"error": message, **extra}, status=status, headers=headers)


async def api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message)


async def domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, OAuthError):
        status = 401 if exc.code == "invalid_client" else 400
        if exc.code == "unauthorized_client":
            status = 403
        return error_response(status, exc.code, error_description=exc.message)
    if isinstance(exc, NotFound):
        return error_response(404, NOT_FOUND)
    if isinstance(exc, Unauthenticated):
        return error_response(401, INVALID_TOKEN)
    if isinstance(exc, Forbidden):
        return error_response(403, exc.message)
    if isinstance(exc, RateLimited):
        response = error_response(429, "Too many requests")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Invalid | Conflict):
        return error_response(422, f"Validation failed: {exc.message}")
    return error_response(422, exc.message)


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Rails answers an unknown path or method with 404; apps probe features that way.
    if exc.status_code in (404, 405):
        return error_response(404, NOT_FOUND)
    return error_response(exc.status_code, exc.detail)


HANDLERS = {ApiError: api_error, DomainError: domain_error, HTTPException: http_error}
