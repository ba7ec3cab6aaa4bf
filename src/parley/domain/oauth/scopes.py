"""OAuth scopes as Mastodon defines them, and the hierarchy that decides what a token may do.

A token's scope covers a required scope when it holds that scope itself, its parent
(`read` covers `read:statuses`), or, for the relationship scopes, the legacy `follow` scope.
"""

from __future__ import annotations

from parley.domain.errors import Invalid

READ_SCOPES = (
    "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
    "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
    "read:statuses",
)  # fmt: skip
WRITE_SCOPES = (
    "write:accounts", "write:blocks", "write:bookmarks", "write:conversations",
    "write:favourites", "write:filters", "write:follows", "write:lists", "write:media",
    "write:mutes", "write:notifications", "write:reports", "write:statuses",
)  # fmt: skip
FOLLOW_COVERS = frozenset(
    {"read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"}
)
# Mastodon's admin API scopes: a token only keeps them when its member is staff (see
# `for_role`), and the admin endpoints check the member's role as well.
ADMIN_SCOPES = (
    "admin:read", "admin:write", "admin:read:accounts", "admin:write:accounts",
    "admin:read:reports", "admin:write:reports", "admin:read:domain_blocks",
    "admin:write:domain_blocks", "admin:read:ip_blocks", "admin:write:ip_blocks",
)  # fmt: skip
# `push` is accepted because every app asks for it (Mastodon.py, Tusky, Ivory by default) and a
# refusal would fail their sign-in; it grants nothing here, since Parley has no Web Push.
SUPPORTED = (
    "read", "write", "follow", "push", "profile", *READ_SCOPES, *WRITE_SCOPES, *ADMIN_SCOPES,
)  # fmt: skip
DEFAULT = "read"


def parse_scopes(raw: str | None, *, field: str = "scope") -> list[str]:
    """Split a scope string (space or '+' separated), keeping order; unknown scopes are Invalid."""
    if raw is None or not raw.strip():
        return [DEFAULT]
    found: list[str] = []
    for scope in raw.replace("+", " ").split():
        if scope not in SUPPORTED:
            raise Invalid(field, f"Unknown scope: {scope}")
        if scope not in found:
            found.append(scope)
    return found


def covers(granted: str | list[str], required: str) -> bool:
    """Whether the granted scopes allow an action that needs `required`."""
    held = set(granted.split() if isinstance(granted, str) else granted)
    if required in held:
        return True
    # Every shorter prefix covers: `read` covers `read:statuses`, `admin:read` covers
    # `admin:read:reports` (but `admin` alone is no scope, so it grants nothing).
    parts = required.split(":")
    if any(":".join(parts[:n]) in held for n in range(1, len(parts))):
        return True
    return required in FOLLOW_COVERS and "follow" in held


def for_role(scopes: list[str], *, staff: bool) -> list[str]:
    """The scopes a token may hold: admin scopes only for staff members."""
    return scopes if staff else [s for s in scopes if not s.startswith("admin:")]


def is_subset(requested: list[str], allowed: str | list[str]) -> bool:
    """Whether every requested scope is allowed by the app's registered scopes."""
    return all(covers(allowed, scope) for scope in requested)


def as_string(scopes: list[str]) -> str:
    return " ".join(scopes)
