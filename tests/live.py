"""A real Parley server on a loopback port, for client libraries that speak HTTP themselves."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from parley.app import create_app
from parley.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    database_url: str,
    tmp_path: Path,
    *,
    run_worker: bool,
    start_timeout: float = 20.0,
    **changes: Any,
) -> Iterator[str]:
    """Serve a fresh app, as `parley serve` runs it (with its job worker in-process when
    `run_worker`), at http://127.0.0.1:<port>; yields that URL. `changes` are further
    settings (`redis_url=...`). Used by the client-library tests, the browser tests
    (tests/e2e) and the edge's cross-process tests."""
    port = free_port()
    settings = Settings(
        domain=f"127.0.0.1:{port}",
        database_url=database_url,
        data_dir=tmp_path,
        media_dir=tmp_path / "media",
        secret_key="test-secret-key-not-for-production",
        password_time_cost=1,
        password_memory_cost_kib=1024,
        embedded_worker=run_worker,
        cookie_secure=False,
        **changes,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, run_worker=run_worker),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            # Under load the client can idle past uvicorn's 5 s default and then reuse a
            # connection the server is closing (a reset POST).
            timeout_keep_alive=120,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
