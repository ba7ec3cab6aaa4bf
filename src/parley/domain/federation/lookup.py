"""Finding a remote account by address (`user@host`) or URL, for search.

The domain does not fetch anything itself: the composition root gives the context a
`resolve_remote_account` callable (the federation adapter's WebFinger and actor fetch).
This module decides which queries are worth handing to it.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.context import DomainContext

log = logging.getLogger(__name__)

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})+|localhost)(?::[0-9]{{1,5}})?$")
_USER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def remote_query(query: str) -> tuple[str, str] | None:
    """(normalised query, host) when `query` names a remote account, else None.

    Accepts `user@host`, `@user@host`, `acct:user@host` and `https://` URLs.
    """
    query = query.strip()
    if query.startswith("https://"):
        parts = urlsplit(query)
        host = (parts.netloc or "").lower()
        if parts.username or parts.password or not _HOST.match(host) or " " in query:
            return None
        return query, host
    address = query.removeprefix("acct:").lstrip("@")
    user, at, host = address.partition("@")
    host = host.lower()
    if not at or not _USER.match(user) or not _HOST.match(host):
        return None
    return f"{user}@{host}", host


def looks_remote(query: str) -> bool:
    return remote_query(query) is not None


async def resolve_account(ctx: DomainContext, query: str) -> int | None:
    """The id of the remote account `query` names, fetched and stored; None if not found.

    Queries naming this instance are not resolved (local search finds local accounts).
    Failures of the remote server, or destinations the fetcher refuses, give None.
    """
    parsed = remote_query(query)
    if parsed is None or ctx.resolve_remote_account is None:
        return None
    normalised, host = parsed
    if host == ctx.settings.domain.lower():
        return None
    try:
        return await ctx.resolve_remote_account(normalised)
    except Exception:  # a remote failure must not break search
        log.warning("could not resolve %s", normalised, exc_info=True)
        return None


async def with_resolved(
    session: AsyncSession, found: list[Account], resolved: int | None, *, limit: int
) -> list[Account]:
    """Search results with the resolved account first (unless present or suspended)."""
    if resolved is None or any(a.id == resolved for a in found):
        return found
    account = await session.get(Account, resolved)
    if account is None or account.suspended_at is not None:
        return found
    return [account, *found][:limit]
