"""Browser tests: the real app on a loopback port (uvicorn in a thread) driven by Chromium.

Debian's Chromium is used (never `playwright install`); screenshots go to /tmp/parley-shots.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from parley.app import create_app
from parley.config import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("PARLEY_SHOTS_DIR", "/tmp/parley-shots"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The whole app, as `parley serve` runs it, at http://127.0.0.1:<port>."""
    port = _free_port()
    settings = Settings(
        domain=f"127.0.0.1:{port}",
        database_url=database_url,
        data_dir=tmp_path,
        media_dir=tmp_path / "media",
        secret_key="browser-test-secret-key",
        password_time_cost=1,
        password_memory_cost_kib=1024,
        embedded_worker=False,
    )
    config = uvicorn.Config(
        create_app(settings, run_worker=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
        timeout_keep_alive=120,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium(databases: object) -> Iterator[object]:
    """Module-scoped: Playwright's sync API keeps an event loop in this thread while it runs,
    so it must be gone before async tests in other modules start (and after the migrated
    template database exists, which is built with asyncio.run)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-system")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def shot(page: object, name: str) -> None:
    """Save a full-page screenshot for review (not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
