"""Which door a request comes through and which limits it counts against.

One table of rules, read top to bottom, so an operator (and docs/operations.md) can see what
limits what. Keys never contain a secret: tokens and cookies are digested first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from parley.edge.caller import Caller, digest
from parley.infra.ratelimit import Limit, Limits

API_PREFIXES = ("/api/",)
API_PATHS = ("/oauth/token", "/oauth/revoke", "/oauth/userinfo")
INBOX = re.compile(r"^/(?:inbox|actor/inbox|users/[^/]+/inbox)/?$")
# What other servers fetch or post to: inboxes, actors and their collections, posts, and the
# /@user addresses that content negotiation turns into those. Elsewhere a Signature or an AS2
# Accept is only a header anyone can send.
SERVER_FETCHED = re.compile(r"^/(?:inbox/?$|users/|actor(?:/|$)|@[A-Za-z0-9_]+(?:/[0-9]+)?/?$)")
MEDIA_UPLOAD = re.compile(r"^/api/v[12]/media/?$")
SIGN_UPS = ("/api/v1/accounts", "/auth/sign_up")
SIGN_INS = ("/auth/sign_in", "/auth/two_factor", "/auth/password/forgot", "/oauth/token")
PAGING_PARAMS = ("max_id", "min_id", "since_id", "page")
# Never limited or challenged: health checks and metrics scrapes must answer under any load.
UNLIMITED = ("/health", "/metrics")


class Door(Enum):
    API = "api"
    FEDERATION = "federation"
    WEB = "web"


@dataclass(frozen=True, slots=True)
class Count:
    limit: Limit
    key: str


def door_of(caller: Caller) -> Door:
    path = caller.path
    if path.startswith(API_PREFIXES) or path in API_PATHS:
        return Door.API
    if (caller.method == "POST" and INBOX.match(path)) or caller.signed or caller.wants_as2:
        return Door.FEDERATION
    return Door.WEB


def is_unlimited(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in UNLIMITED)


def query_names(caller: Caller) -> set[str]:
    query = caller.scope.get("query_string", b"").decode("latin-1")
    return {part.partition("=")[0] for part in query.split("&") if part}


def counts_for(caller: Caller, door: Door, member: str | None, limits: Limits) -> list[Count]:
    """The counters this request adds one to; `member` is `account:<id>` or None."""
    ip = caller.ip_key
    path, post = caller.path.rstrip("/") or "/", caller.method == "POST"
    counts = [Count(limits.per_ip, ip)]
    if member is not None:
        counts.append(Count(limits.per_account, member))
    if door is Door.API:
        token = caller.bearer_token
        if token:
            counts.append(Count(limits.per_token, digest(token)))
        else:
            counts.append(Count(limits.api_anonymous, ip))
        if post and MEDIA_UPLOAD.match(path):
            counts.append(Count(limits.media_uploads, member or ip))
    elif door is Door.FEDERATION:
        counts.append(Count(limits.federation_ip, ip))
    elif post and "multipart/form-data" in caller.headers.get("content-type", ""):
        counts.append(Count(limits.media_uploads, member or ip))
    if post and path in SIGN_UPS:
        counts.append(Count(limits.sign_ups, ip))
    if post and (path in SIGN_INS or path.startswith("/auth/reset/")):
        counts.append(Count(limits.sign_in_ip, ip))
    if member is None and caller.method == "GET" and query_names(caller) & set(PAGING_PARAMS):
        counts.append(Count(limits.anonymous_paging, ip))
    return counts
