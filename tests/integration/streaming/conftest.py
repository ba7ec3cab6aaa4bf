"""Live Parley servers with streaming wired in, stream clients, and a Redis server.

Streams need a real server (event streams never end, WebSockets need an upgrade), so each
server runs uvicorn on a loopback port in a thread of its own, with the embedded worker,
which runs the streaming listeners when domain events' jobs come due. Test data is written
through the real services in the test's own event loop; the worker finds the jobs in the
shared database.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

import parley.app
from parley.activitypub import outbox
from parley.activitypub.federation import Federation
from parley.app import create_app
from parley.config import Settings
from parley.db.base import utcnow
from parley.domain.events import JOB_PREFIX
from parley.infra.pubsub import Broker, MemoryBroker, RedisBroker, build_broker
from parley.jobs.handlers import LISTEN_PREFIX, build_handlers
from parley.jobs.models import Job, JobState
from parley.mastodon.streaming.listeners import build_stream_listeners
from parley.mastodon.streaming.wiring import broker_of
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conftest import Api

WAIT = 10.0  # seconds for a message that should come


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class _StreamingRuntime(Runtime):
    """Runtime with the broker, for as long as the composition root does not carry one."""

    broker: Broker | None = None


def streaming_app(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, *, worker: bool = True
) -> Starlette:
    """create_app with streaming wired in: the broker on the runtime, listeners on the worker.

    Once Runtime carries `broker`, the composition root does this itself and this only
    builds the app.
    """
    if "broker" not in Runtime.__dataclass_fields__:
        original = parley.app.assemble

        def assemble(settings: Settings) -> tuple[Runtime, Federation]:
            base, federation = original(settings)
            runtime = _StreamingRuntime(
                settings=base.settings,
                db=base.db,
                ctx=base.ctx,
                worker=base.worker,
                broker=build_broker(base.settings),
            )
            others = {
                kind: handler
                for kind, handler in runtime.worker.handlers.items()
                if not kind.startswith((JOB_PREFIX, LISTEN_PREFIX))
            }
            runtime.worker.handlers = build_handlers(
                runtime.settings,
                runtime.db,
                listeners={
                    "federation": outbox.build_listeners(federation),
                    "streaming": build_stream_listeners(runtime),
                },
                extra=others,
            )
            return runtime, federation

        monkeypatch.setattr(parley.app, "assemble", assemble)
    return create_app(settings, run_worker=worker)


@dataclass
class Live:
    url: str
    runtime: Runtime
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "/api/v1/streaming"

    @property
    def broker(self) -> Broker:
        broker = broker_of(self.runtime)
        assert broker is not None
        return broker

    def local_channels(self) -> set[str]:
        """The channels this server's process has subscribers for."""
        broker = self.broker
        assert isinstance(broker, MemoryBroker | RedisBroker)
        return set(broker.hub.subscribers)

    async def until_listening(self, channel: str, *, listening: bool = True) -> None:
        """Wait until this server's process subscribes to `channel` (a client's stream is up),
        or with `listening=False` until it no longer does."""
        deadline = time.monotonic() + WAIT
        while (channel in self.local_channels()) != listening:
            assert time.monotonic() < deadline, f"{channel}: still not listening={listening}"
            await asyncio.sleep(0.02)


async def settle(runtime: Runtime) -> None:
    """Wait until the worker has run every due job, so earlier acts are not streamed later."""
    deadline = time.monotonic() + WAIT
    while True:
        async with runtime.db.reader() as session:
            pending = await session.scalar(
                select(func.count(Job.id)).where(
                    Job.state == JobState.QUEUED, Job.run_at <= utcnow()
                )
            )
        if not pending:
            return
        assert time.monotonic() < deadline, f"{pending} jobs still due"
        await asyncio.sleep(0.05)


def start_live(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    *,
    port: int | None = None,
    worker: bool = True,
) -> Live:
    """A server for `settings` on its domain's port (or `port`: one more web process)."""
    app = streaming_app(settings, monkeypatch, worker=worker)
    runtime: Runtime = app.state.runtime
    host, domain_port = settings.domain.split(":")
    port = port or int(domain_port)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            # Open event streams never end by themselves.
            timeout_graceful_shutdown=2,
            timeout_keep_alive=120,
        )
    )

    async def serve() -> None:
        try:
            await server.serve()
        finally:
            broker = broker_of(runtime)
            if broker is not None:  # its connections belong to this loop
                await broker.close()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    return Live(f"http://{host}:{port}", runtime, server, thread)


def stop_live(live: Live) -> None:
    live._server.should_exit = True
    live._thread.join(timeout=10)


def live_settings(settings: Settings, port: int, **changes: Any) -> Settings:
    return settings.model_copy(
        update={"domain": f"127.0.0.1:{port}", "embedded_worker": True, **changes}
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings on a free loopback port, so URLs written by services match."""
    return live_settings(settings, free_port())


@pytest.fixture
def live(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    server = start_live(settings, monkeypatch)
    yield server
    stop_live(server)


@pytest.fixture
def api(runtime: Runtime, members: Members, client: httpx.AsyncClient) -> Api:
    return Api(runtime, members, client)


@dataclass
class SseStream:
    """An open event stream: `next()` is the next (event, data), skipping comment lines."""

    lines: AsyncIterator[str]
    comments: list[str] = field(default_factory=list)

    async def next(self, wait: float = WAIT) -> tuple[str, str]:
        async with asyncio.timeout(wait):
            event = ""
            async for line in self.lines:
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    return event, line.removeprefix("data: ")
        raise AssertionError("the stream ended")

    async def next_json(self, wait: float = WAIT) -> tuple[str, Any]:
        event, data = await self.next(wait)
        return event, (data if event == "delete" else orjson.loads(data))


@contextlib.asynccontextmanager
async def sse(live: Live, path: str, token: str, **params: str) -> AsyncIterator[SseStream]:
    """Open `/api/v1/streaming/<path>` and wait for its first line (subscribed by then)."""
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=httpx.Timeout(30.0)) as client,
        client.stream(
            "GET",
            f"/api/v1/streaming/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = SseStream(response.aiter_lines())
        async with asyncio.timeout(WAIT):
            first = await anext(stream.lines)
        assert first == ":)"
        yield stream


@dataclass
class WsStream:
    socket: ClientConnection

    async def send(self, **message: str) -> None:
        await self.socket.send(orjson.dumps(message).decode())

    async def next(self, wait: float = WAIT) -> dict[str, Any]:
        """The next message, with `payload` decoded as clients do (a delete's stays a string)."""
        async with asyncio.timeout(wait):
            message: dict[str, Any] = orjson.loads(await self.socket.recv())
        if "payload" in message and message.get("event") != "delete":
            message["payload"] = orjson.loads(message["payload"])
        return message


@contextlib.asynccontextmanager
async def websocket(live: Live, token: str, query: str = "") -> AsyncIterator[WsStream]:
    """A WebSocket authenticated the way browsers do it: the token as the subprotocol."""
    async with connect(live.ws_url + query, subprotocols=[token]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == token
        yield WsStream(ws)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of our own on a free loopback port: its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
