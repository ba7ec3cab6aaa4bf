"""Content negotiation for shared addresses: `/@user` and `/@user/123` are HTML pages for
browsers and AS2 documents for servers (Mastodon links profiles and posts by these URLs).

A request for one of them that asks for AS2 is rewritten to the ActivityPub route
(`/users/user`, `/users/user/statuses/123`) before routing; responses on these paths say
`Vary: Accept` so caches keep the two apart.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.activitypub.vocab import accepts_as2

PROFILE = re.compile(r"^/@(?P<user>[A-Za-z0-9_]+)/?$")
POST = re.compile(r"^/@(?P<user>[A-Za-z0-9_]+)/(?P<id>[0-9]+)/?$")


def as2_path(path: str) -> str | None:
    """The ActivityPub path for an HTML address, or None if it is not one."""
    if match := PROFILE.match(path):
        return f"/users/{match['user']}"
    if match := POST.match(path):
        return f"/users/{match['user']}/statuses/{match['id']}"
    return None


class NegotiationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        target = as2_path(scope["path"])
        if target is None:
            await self.app(scope, receive, send)
            return
        if accepts_as2(Headers(scope=scope).get("accept", "")):
            # raw_path stays as sent: it is what a signed request signed.
            scope = {**scope, "path": target}

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "accept" not in headers.get("vary", "").lower():
                    headers.append("Vary", "Accept")
            await send(message)

        await self.app(scope, receive, send_with_vary)
