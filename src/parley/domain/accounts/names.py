"""Username and e-mail rules."""

from __future__ import annotations

import re

from parley.domain.errors import Invalid

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Names that would confuse members or impersonate the instance.
RESERVED = frozenset(
    {
        "admin", "administrator", "root", "support", "help", "moderator", "mod", "parley",
        "abuse", "postmaster", "webmaster", "security", "staff", "system", "instance",
        "about", "settings", "api", "oauth", "users", "tags", "explore", "notifications",
    }
)  # fmt: skip


def normalize_username(username: str) -> str:
    return username.strip().lstrip("@")


def check_username(username: str, *, allow_reserved: bool = False) -> str:
    """Return the username if it may be registered; raise Invalid otherwise."""
    if not USERNAME_RE.match(username):
        raise Invalid(
            "username",
            "Username must be 1-30 characters: letters, digits and underscores only",
        )
    if not allow_reserved and username.lower() in RESERVED:
        raise Invalid("username", "That username is reserved")
    return username


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise Invalid("email", "Enter a valid e-mail address")
    return email
