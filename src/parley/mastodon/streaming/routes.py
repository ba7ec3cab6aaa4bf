"""The streaming endpoints: WebSocket `/api/v1/streaming`, server-sent events under it.

As Mastodon 4.x: every stream needs a member's token (header, `access_token`, or the
WebSocket subprotocol, which is echoed back as browsers require); a bad one gets 401, an
unknown stream 400, both as `{"error": ...}`. Over a WebSocket, errors after the handshake
are messages (`{"error": ..., "status": ...}`) and the socket stays open. Event streams send
`:thump` every 15 seconds so proxies and clients know the line is alive.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping

import anyio
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley.domain.oauth import service as oauth
from parley.domain.oauth.queries import find_token_grant
from parley.infra.pubsub import Broker, Overflow
from parley.mastodon.errors import HANDLERS
from parley.mastodon.responses import json_response
from parley.mastodon.streaming import channels as ch
from parley.mastodon.streaming.channels import StreamError
from parley.mastodon.streaming.connection import Connection
from parley.mastodon.streaming.wiring import broker_of
from parley.runtime import Runtime

PREFIX = "/api/v1/streaming"
HEARTBEAT = 15.0
# Event-stream paths -> stream names.
SSE_PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}
PARAMS = ("tag", "list", "only_media")
UNAVAILABLE = StreamError(503, "Streaming is not available")


def _offered_protocols(conn: HTTPConnection) -> list[str]:
    raw = conn.headers.get("sec-websocket-protocol", "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def _token(conn: HTTPConnection) -> str | None:
    scheme, _, value = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if conn.query_params.get("access_token"):
        return conn.query_params["access_token"]
    offered = _offered_protocols(conn)
    return offered[0] if offered else None


class Endpoints:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _broker(self) -> Broker:
        broker = broker_of(self.runtime)
        if broker is None:
            raise UNAVAILABLE
        return broker

    async def _member(self, conn: HTTPConnection) -> tuple[int, list[str]]:
        """The caller's account id and token scopes."""
        token = _token(conn)
        if token is None:
            raise StreamError(401, "Missing access token")
        async with self.runtime.db.transaction() as session:
            grant = await find_token_grant(session, token)
            if grant is None or grant.account is None:
                raise StreamError(401, "Invalid access token")
            await oauth.note_token_used(session, grant.token)
        return grant.account.id, grant.scopes

    async def _stream(
        self, name: str | None, params: Mapping[str, str], account_id: int, scopes: list[str]
    ) -> ch.Stream:
        async with self.runtime.db.reader() as session:
            return await ch.resolve(session, name, params, account_id=account_id, scopes=scopes)

    async def health(self, _request: Request) -> Response:
        return PlainTextResponse("OK")

    async def event_stream(self, request: Request) -> Response:
        path = request.path_params.get("path", "").strip("/")
        name = SSE_PATHS.get(path, "") if path else request.query_params.get("stream")
        try:
            broker = self._broker()
            account_id, scopes = await self._member(request)
            stream = await self._stream(name, request.query_params, account_id, scopes)
        except StreamError as exc:
            return _error_response(exc)
        return StreamingResponse(
            _sse(Connection(self.runtime.db, account_id, broker), stream),
            media_type="text/event-stream",
            # No buffering by nginx (X-Accel-Buffering) nor caching: events are live.
            headers={"Cache-Control": "private, no-store", "X-Accel-Buffering": "no"},
        )

    async def websocket(self, websocket: WebSocket) -> None:
        try:
            broker = self._broker()
            account_id, scopes = await self._member(websocket)
        except StreamError as exc:
            await _deny(websocket, exc)
            return
        offered = _offered_protocols(websocket)
        await websocket.accept(subprotocol=offered[0] if offered else None)
        connection = Connection(self.runtime.db, account_id, broker)
        try:
            await connection.start()
            if websocket.query_params.get("stream"):
                await self._on_message(
                    websocket, connection, scopes, {"type": "subscribe", **websocket.query_params}
                )
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_pump, websocket, connection, tasks.cancel_scope)
                while (frame := await websocket.receive())["type"] != "websocket.disconnect":
                    text = frame.get("text") or (frame.get("bytes") or b"").decode(
                        "utf-8", "replace"
                    )
                    await self._on_message(websocket, connection, scopes, _parse(text))
                tasks.cancel_scope.cancel()
        except WebSocketDisconnect:
            pass
        finally:
            with anyio.CancelScope(shield=True):
                await connection.close()

    async def _on_message(
        self,
        websocket: WebSocket,
        connection: Connection,
        scopes: list[str],
        message: dict[str, str] | None,
    ) -> None:
        kind = message.get("type") if message else None
        if message is None or kind not in ("subscribe", "unsubscribe"):
            await _send_error(websocket, StreamError(400, "Unknown message"))
            return
        name = message.get("stream") if isinstance(message.get("stream"), str) else None
        params = {k: str(message[k]) for k in PARAMS if message.get(k) is not None}
        if kind == "unsubscribe":
            await connection.remove(ch.stream_key(name, params))
            return
        try:
            await connection.add(await self._stream(name, params, connection.account_id, scopes))
        except StreamError as exc:
            await _send_error(websocket, exc)


def _parse(text: str) -> dict[str, str] | None:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None


async def _sse(connection: Connection, stream: ch.Stream) -> AsyncIterator[str]:
    # Subscribed here, not before the response: a generator that never starts never closes.
    try:
        await connection.start()
        await connection.add(stream)
        yield ":)\n"
        last = time.monotonic()
        while True:
            events = await connection.receive(
                max_wait=max(0.0, last + HEARTBEAT - time.monotonic())
            )
            if events is None:
                yield ":thump\n"
                last = time.monotonic()
                continue
            for event in events:
                yield event.sse_text()
                last = time.monotonic()
    except Overflow:
        return  # the client reconnects, and reloads what it missed
    finally:
        with anyio.CancelScope(shield=True):
            await connection.close()


async def _pump(websocket: WebSocket, connection: Connection, scope: anyio.CancelScope) -> None:
    try:
        while True:
            for event in await connection.receive() or []:
                await websocket.send_text(event.websocket_text())
    except Overflow:
        # 1013 "try again later": the client fell behind and should reconnect.
        await websocket.close(code=1013)
    except WebSocketDisconnect:
        pass
    scope.cancel()


def _error_response(exc: StreamError) -> Response:
    return json_response({"error": exc.message}, status=exc.status)


async def _send_error(websocket: WebSocket, exc: StreamError) -> None:
    await websocket.send_text(orjson.dumps({"error": exc.message, "status": exc.status}).decode())


async def _deny(websocket: WebSocket, exc: StreamError) -> None:
    """Refuse the handshake with the JSON error where the server can send one (uvicorn)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(_error_response(exc))
    else:
        await websocket.close(code=1008 if exc.status == 401 else 1011)


def build_streaming_app(runtime: Runtime) -> Starlette:
    endpoints = Endpoints(runtime)
    return Starlette(
        routes=[
            Route(f"{PREFIX}/health", endpoints.health, methods=["GET", "HEAD"]),
            Route(PREFIX, endpoints.event_stream, methods=["GET"]),
            Route(PREFIX + "/{path:path}", endpoints.event_stream, methods=["GET"]),
            WebSocketRoute(PREFIX, endpoints.websocket),
            WebSocketRoute(PREFIX + "/", endpoints.websocket),
        ],
        exception_handlers=HANDLERS,
        middleware=[
            # Browser apps on other origins open event streams too.
            Middleware(CORSMiddleware, allow_origins=["*"], allow_headers=["*"]),
        ],
    )


def streaming_routes(runtime: Runtime) -> list[BaseRoute]:
    """Top-level routes handing `/api/v1/streaming...` (HTTP and WebSocket) to this app."""
    app = build_streaming_app(runtime)
    return [
        Route(PREFIX + "{rest:path}", app, methods=None),
        WebSocketRoute(PREFIX + "{rest:path}", app),
    ]
