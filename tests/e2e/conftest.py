"""Browser tests: the real app on a loopback port (tests/live.py: uvicorn in a thread) driven
by Chromium.

Debian's Chromium is used (never `playwright install`); screenshots go to /tmp/parley-shots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import live_server

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


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The whole app, as `parley serve` runs it (job worker included, so others' changes
    reach kept pages), at http://127.0.0.1:<port>."""
    with live_server(database_url, tmp_path, run_worker=True) as url:
        yield url


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
