"""Serve kept pages, keep new ones, and drop a member's pages when they change something."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.ops.metrics import Metrics
from parley.ops.requests import ROUTE_KEY
from parley.web.csrf import CSRF_COOKIE
from parley.web.page_cache.store import Page, PageStore
from parley.web.viewer import SESSION_COOKIE

# The pages kept. Each must depend only on the key's parts and on what the invalidations
# cover (see the package's docstring) before it is added here.
CACHED_PATHS = frozenset({"/home"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Reads that change what other pages show: the first notifications page marks them read.
MARKING_READ = frozenset({"/notifications"})
# Changes made by staff reach every member's pages (suspensions, instance settings, rules);
# a password reset ends all of a member's sessions without a session of its own (its
# account.signed_out event drops that member's pages too, but only once the worker runs it).
EVERYONE_PREFIXES = ("/api/v1/admin/", "/api/v2/admin/", "/auth/reset/")

WAIT_FOR_RENDER = 10.0  # seconds a repeated request waits for the same page's render
MemberOf = Callable[[Scope], Awaitable[int | None]]
Broadcast = Callable[[dict[str, Any]], Awaitable[None]]


def page_key(scope: Scope, session: str, csrf: str) -> bytes:
    """Everything the page depends on in the request: the browser's session and CSRF token
    (forms embed it), the path and query, and whether htmx asked for a fragment."""
    headers = Headers(scope=scope)
    parts = (
        session,
        csrf,
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        headers.get("hx-request", ""),
    )
    return hashlib.sha256("\0".join(parts).encode()).digest()


class PageCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        store: PageStore,
        member_of: MemberOf,
        broadcast: Broadcast,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.member_of = member_of
        self.broadcast = broadcast
        self.metrics = metrics
        self._rendering: dict[bytes, asyncio.Future[None]] = {}  # key -> its render's end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.store.enabled:
            await self.app(scope, receive, send)  # nothing kept here, nor by the others
        elif scope["method"] not in SAFE_METHODS or scope["path"] in MARKING_READ:
            await self._changing(scope, receive, send)
        elif scope["method"] == "GET" and scope["path"] in CACHED_PATHS:
            await self._cached(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _cached(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookies = cookie_parser(Headers(scope=scope).get("cookie", ""))
        session, csrf = cookies.get(SESSION_COOKIE), cookies.get(CSRF_COOKIE)
        if not session or not csrf:
            await self.app(scope, receive, send)
            return
        key = page_key(scope, session, csrf)
        page = self.store.get(key)
        if page is None and key in self._rendering:
            # The same browser asked again while its page renders (reloads, several tabs):
            # wait for that render rather than run a second one.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._rendering[key]), WAIT_FOR_RENDER)
            page = self.store.get(key)
        if self.metrics is not None:
            self.metrics.page("kept" if page is not None else "rendered")
        if page is not None:
            holder = scope.get(ROUTE_KEY)
            if isinstance(holder, list):
                holder.append(scope["path"])
            await send({"type": "http.response.start", "status": page.status,
                        "headers": page.headers})  # fmt: skip
            await send({"type": "http.response.body", "body": page.body})
            return
        if key in self._rendering:  # its render was not kept: render this one alone
            await self._render(key, scope, receive, send)
            return
        done = self._rendering[key] = asyncio.get_running_loop().create_future()
        try:
            await self._render(key, scope, receive, send)
        finally:
            del self._rendering[key]
            done.set_result(None)

    async def _render(self, key: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        since = self.store.generation
        scope.setdefault("state", {})  # shared with the handler's request.state
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(key, scope, start, b"".join(chunks), since)
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: bytes, scope: Scope, start: Message, body: bytes, since: int) -> None:
        viewer = scope["state"].get("viewer")
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", []))
        names = {name.lower() for name, _ in headers}
        html = dict(headers).get(b"content-type", b"").startswith(b"text/html")
        if viewer is None or start.get("status") != 200 or b"set-cookie" in names or not html:
            return
        if viewer.is_staff:  # their navigation counts reports and sign-ups others change
            return
        posts, accounts = Page.shown_in(body)
        member_id = int(viewer.account.id)
        self.store.put(key, Page(200, headers, body, member_id, posts, accounts), since=since)

    async def _changing(self, scope: Scope, receive: Receive, send: Send) -> None:
        """After a mutating request's answer (its transaction committed), drop what it may
        have changed. The member is found first: signing out ends the session it used."""
        member_id = await self.member_of(scope)
        path: str = scope["path"]
        everyone = path.startswith(EVERYONE_PREFIXES)
        scope.setdefault("state", {})
        dropped = False

        def staff() -> bool:
            viewer = scope["state"].get("viewer")
            return bool(viewer and viewer.is_staff)

        async def after(message: Message) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start" and not dropped:
                dropped = True
                # A refused request changed nothing: it must not empty everyone's pages
                # (anyone may send a bad token to /auth/reset/ or the admin API).
                changed = message["status"] < 400
                await self._drop(member_id, changed and (everyone or staff()))
            await send(message)

        try:
            await self.app(scope, receive, after)
        finally:
            if not dropped:
                # It failed, or the client left, before answering: its transaction may have
                # committed all the same. Even when cancelled, drop and tell the others.
                with anyio.CancelScope(shield=True, deadline=anyio.current_time() + 5):
                    await self._drop(member_id, everyone or staff())

    async def _drop(self, member_id: int | None, everyone: bool) -> None:
        if everyone:
            self.store.clear()
            message: dict[str, Any] = {"all": True}
        elif member_id is not None:
            self.store.drop_members([member_id])
            message = {"members": [member_id]}
        else:
            return
        await self.broadcast(message)
