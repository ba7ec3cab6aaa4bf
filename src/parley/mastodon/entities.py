"""Mastodon API entities, rendered from domain objects (never from protocol code on models).

Every entity is a plain dict ready for orjson; IDs are strings, times ISO 8601 in UTC with
milliseconds, as Mastodon writes them.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from parley.domain.accounts.models import Account, Role, User
from parley.domain.instance.models import Rule
from parley.domain.oauth.models import OAuthApplication
from parley.domain.oauth.service import IssuedToken

Entity = dict[str, Any]
MISSING_AVATAR = "/avatars/original/missing.png"
MISSING_HEADER = "/headers/original/missing.png"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def day(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value is not None else None


def account(base_url: str, acc: Account) -> Entity:
    avatar = acc.avatar_url or f"{base_url}{MISSING_AVATAR}"
    header = acc.header_url or f"{base_url}{MISSING_HEADER}"
    created = acc.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "id": str(acc.id),
        "username": acc.username,
        "acct": acc.acct(),
        "display_name": acc.display_name,
        "locked": acc.locked,
        "bot": acc.bot,
        "discoverable": acc.discoverable,
        "indexable": acc.discoverable,
        "group": False,
        "hide_collections": False,
        # Mastodon reports the day an account was created, not the moment.
        "created_at": iso(created),
        "note": acc.note_html,
        "url": acc.url or acc.uri,
        "uri": acc.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": acc.followers_count,
        "following_count": acc.following_count,
        "statuses_count": acc.posts_count,
        "last_status_at": day(acc.last_post_at),
        "emojis": [],
        "roles": [] if acc.is_local else None,
        "fields": [
            {
                "name": escape(f.get("name", ""), quote=False),
                "value": f.get("value_html") or escape(f.get("value", ""), quote=False),
                "verified_at": None,
            }
            for f in acc.fields or []
        ],
    }


ROLE_NAMES = {Role.OWNER: "Owner", Role.ADMIN: "Admin", Role.MODERATOR: "Moderator"}


def credential_account(
    base_url: str, acc: Account, user: User, *, follow_requests_count: int
) -> Entity:
    entity = account(base_url, acc)
    entity["source"] = {
        "note": acc.note,
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
            for f in acc.fields or []
        ],
        "privacy": user.default_visibility,
        "sensitive": user.default_sensitive,
        "language": user.default_language,
        "follow_requests_count": follow_requests_count,
        "indexable": acc.discoverable,
        "discoverable": acc.discoverable,
        "hide_collections": False,
    }
    # Parley has no Mastodon admin API, so no role carries permissions here.
    entity["role"] = {
        "id": "-99" if user.role == Role.MEMBER else str(Role.ALL.index(user.role) + 1),
        "name": ROLE_NAMES.get(user.role, ""),
        "permissions": "0",
        "color": "",
        "highlighted": user.role != Role.MEMBER,
    }
    return entity


def application(app: OAuthApplication, *, client_secret: str | None = None) -> Entity:
    uris = app.redirect_uris.split("\n")
    entity: Entity = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": uris,
        # No vapid_key: Parley has no Web Push, and a key would invite subscriptions.
    }
    if client_secret is not None:
        entity["client_id"] = app.client_id
        entity["client_secret"] = client_secret
        entity["client_secret_expires_at"] = 0
    return entity


def token(issued: IssuedToken) -> Entity:
    return {
        "access_token": issued.secret,
        "token_type": "Bearer",
        "scope": issued.access.scopes,
        "created_at": int(issued.access.created_at.timestamp()),
    }


def rule(r: Rule) -> Entity:
    return {"id": str(r.id), "text": r.text, "hint": r.hint}
