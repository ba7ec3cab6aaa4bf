"""The few domain errors (each adapter maps them once to its own convention), and get_or_404."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

_Row = TypeVar("_Row")


class DomainError(Exception):
    """Base of the errors a service may raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or the caller may not know it exists."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Invalid(DomainError):
    """Bad input: `field` names the offending field (None for the whole request)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    """The request clashes with existing state (a taken username, a duplicate vote)."""


class RateLimited(DomainError):
    """Too many attempts; `retry_after` seconds until the next one may succeed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthenticated(DomainError):
    """The caller must sign in (or sign in again, e.g. with a second factor)."""


async def get_or_404(session: AsyncSession, model: type[_Row], ident: Any, message: str) -> _Row:
    """The row of `model` with this primary key, or NotFound(message)."""
    row = await session.get(model, ident)
    if row is None:
        raise NotFound(message)
    return row
