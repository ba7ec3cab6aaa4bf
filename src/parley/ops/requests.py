"""Every request gets an id (X-Request-Id, kept when a proxy sent a sane one), a line in the
log and a place in the metrics under its route template (`/@{acct}`, not `/@alice`)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.ops.logs import request_id
from parley.ops.metrics import Metrics

log = logging.getLogger("parley.access")

ROUTE_KEY = "parley.route"
SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNMATCHED = "unmatched"


class RouteRecorder:
    """Innermost: copies the route Starlette matched into a holder the outer middleware reads
    (inner layers may copy the scope, so the outer one cannot see their `route`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        holder = scope.get(ROUTE_KEY)
        try:
            await self.app(scope, receive, send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None)
            if isinstance(holder, list) and isinstance(path, str):
                holder.append(path)


class RequestMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, client_of: Callable[[Scope], str]) -> None:
        self.app = app
        self.metrics = metrics
        self.client_of = client_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Headers(scope=scope).get("x-request-id", "")
        rid = sent if SANE_ID.match(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        holder: list[str] = []
        scope[ROUTE_KEY] = holder
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = holder[-1] if holder else UNMATCHED
            self.metrics.observe(scope["method"], route, status, elapsed)
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": self.client_of(scope),
                },
            )
            request_id.reset(token)
