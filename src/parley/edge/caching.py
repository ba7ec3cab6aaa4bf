"""HTTP caching headers: anonymous pages are briefly cacheable by anyone (with a weak ETag, so
a repeat visit costs a 304), signed-in answers never leave the browser's private cache.

Anonymous means no session cookie and no token. A response that sets a cookie, or that the
app already marked (pages with a form carry the visitor's CSRF token and say `private`), is
not made public; nor is the answer to an HTTP-signed fetch, which may hold what only the
signing server may see. `Vary: Accept` keeps HTML and ActivityPub answers of one URL apart, and
`Vary: Cookie` keeps signed-in and anonymous ones apart.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.edge.guard import Guard

# These answer with their own caching rules, or must stream.
OWN_RULES = ("/static/", "/media/", "/api/v1/streaming", "/health", "/metrics", "/_edge/")
PRIVATE = "private, no-store"
MAX_BUFFER = 4 * 1024 * 1024


def add_vary(headers: MutableHeaders, *names: str) -> None:
    present = {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}
    for name in names:
        if name.lower() not in present:
            headers.append("Vary", name)


def weak_etag(body: bytes) -> str:
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    wanted = etag.removeprefix("W/")
    return any(
        tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted
        for tag in if_none_match.split(",")
    )


class CachingMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OWN_RULES):
            await self.app(scope, receive, send)
            return
        caller = self.guard.caller(scope)
        # A signed fetch may be answered with what only the signer may see (followers-only).
        if caller.has_credentials or caller.signed:
            await self.app(scope, receive, self._private(send))
            return
        if caller.method != "GET":
            await self.app(scope, receive, send)
            return
        await self._anonymous(scope, receive, send)

    @staticmethod
    def _private(send: Send) -> Send:
        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = PRIVATE
                add_vary(headers, "Cookie", "Authorization", "Signature")
            await send(message)

        return send_private

    async def _anonymous(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False  # streaming through unchanged (not cacheable, or too big to hash)

        async def buffered(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                add_vary(headers, "Accept", "Cookie")
                if message["status"] != 200 or "set-cookie" in headers:
                    if "set-cookie" in headers:  # a cookie is for one browser only
                        headers["Cache-Control"] = PRIVATE
                    passing = True
                    await send(message)
                    return
                if "cache-control" in headers:  # the app decided (e.g. a page with a form)
                    passing = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if message.get("more_body", False) and size <= MAX_BUFFER:
                return
            assert start is not None
            await self._finish(scope, start, chunks, message.get("more_body", False), send)
            passing = True

        await self.app(scope, receive, buffered)

    async def _finish(
        self, scope: Scope, start: Message, chunks: list[bytes], more: bool, send: Send
    ) -> None:
        body = b"".join(chunks)
        headers = MutableHeaders(scope=start)
        max_age = self.guard.settings.anonymous_cache_seconds
        headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
        if more:  # too big to hash in memory: send as it comes, without an ETag
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": True})
            return
        etag = weak_etag(body)
        headers["ETag"] = etag
        if etag_matches(Headers(scope=scope).get("if-none-match", ""), etag):
            for name in ("content-length", "content-type"):
                del headers[name]
            await send({**start, "status": 304})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body})
