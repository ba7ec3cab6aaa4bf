"""Under-attack mode in a real browser: the challenge page's script solves the proof-of-work
and the visitor lands on the page they asked for; later pages open without a check."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest
from playwright.sync_api import Browser, expect

from parley.db.engine import Database
from parley.domain.instance.attack_mode import set_under_attack
from tests.e2e.conftest import DESKTOP
from tests.e2e.test_journey import _context

pytestmark = pytest.mark.browser


def switch_on(database_url: str) -> None:
    """In a thread of its own: Playwright's sync API holds this thread's event loop."""

    async def work() -> None:
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                await set_under_attack(session, on=True)
        finally:
            await db.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(work()))
    thread.start()
    thread.join(timeout=30)


def test_a_browser_solves_the_check_and_gets_its_page(
    chromium: Browser, server: str, database_url: str
) -> None:
    switch_on(database_url)
    context = _context(chromium, server, DESKTOP)
    page = context.new_page()
    first = page.goto("/local?from=test")
    assert first is not None
    assert first.status == 503  # the check, while the mode is on (re-read within 5 s)
    expect(page).to_have_url(re.compile(r"/local\?from=test$"), timeout=30_000)
    expect(page.locator("body")).not_to_contain_text("Checking your browser", timeout=30_000)
    cookies = {c["name"] for c in context.cookies()}
    assert "parley_pass" in cookies
    again = page.goto("/about")
    assert again is not None
    assert again.status == 200
    context.close()
