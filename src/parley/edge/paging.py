"""Non-enumerable pages: anonymous visitors page back only so far.

IDs are time-sortable snowflakes, so a paging cursor (max_id, min_id, since_id) says how old
the posts it reaches are. Without a session or token, cursors older than
PARLEY_ANONYMOUS_PAGING_DAYS on the public streams (local timeline, hashtags, profiles, and
their Mastodon API twins) get an empty API page or, on the web, the sign-in page. A post's own
address always works; only walking the archive needs an account. Paging requests are also
counted per address (the `anonymous_paging` limit).
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, quote

from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from parley.db.ids import is_id_text, ms_of_id
from parley.edge.guard import Guard

CURSORS = ("max_id", "min_id", "since_id")
API_STREAMS = re.compile(
    r"^/api/v1/(?:timelines/public|timelines/tag/[^/]+|accounts/[^/]+/(?:statuses|followers|following))/?$"
)
WEB_STREAMS = re.compile(r"^/(?:local|tags/[^/]+|@[^/]+(?:/(?:[a-z_]+|followers|following))?)/?$")


def too_old(query: str, floor_ms: int) -> bool:
    params = parse_qs(query)
    for name in CURSORS:
        for value in params.get(name, []):
            if is_id_text(value) and ms_of_id(int(value)) < floor_ms:
                return True
    return False


class PagingDepthMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        days = self.guard.settings.anonymous_paging_days
        if scope["type"] != "http" or days <= 0 or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        api = API_STREAMS.match(path) is not None
        query = scope.get("query_string", b"").decode("latin-1")
        if not query or not (api or WEB_STREAMS.match(path)):
            await self.app(scope, receive, send)
            return
        caller = self.guard.caller(scope)
        floor_ms = int((time.time() - days * 86400) * 1000)
        # A made-up cookie or token does not count: only live credentials lift the cap.
        if not too_old(query, floor_ms) or await self.guard.member(caller) is not None:
            await self.app(scope, receive, send)
            return
        response: Response
        if api:
            response = Response(b"[]", media_type="application/json")
        else:
            target = quote(f"{path}?{query}", safe="/?=&@")
            response = RedirectResponse(f"/auth/sign_in?next={target}", status_code=303)
        await response(scope, receive, send)
