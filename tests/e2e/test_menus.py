"""Menus open fully on screen, even on the last parley of a timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP
from tests.e2e.test_journey import _context, sign_up

pytestmark = pytest.mark.browser


def test_the_last_parleys_more_menu_is_not_clipped_by_its_card(
    chromium: Browser, server: str
) -> None:
    context = _context(chromium, server, DESKTOP)
    page = context.new_page()
    sign_up(page, "carol")
    page.get_by_label("Write a parley").fill("The only parley here")
    page.get_by_role("button", name="Parley", exact=True).click()
    post = page.locator("article.post").last
    expect(post).to_contain_text("The only parley here")
    post.locator("summary.more").click()
    item = post.locator(".menu-list a, .menu-list button").last
    expect(item).to_be_visible()
    box = item.bounding_box()
    assert box is not None
    # What the browser would click at the item's centre must be the item itself.
    hit = page.evaluate(
        "([x, y]) => { const el = document.elementFromPoint(x, y);"
        " return el ? (el.closest('.menu-list a, .menu-list button')?.textContent ?? '') : ''; }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert re.sub(r"\s+", " ", hit).strip() == re.sub(r"\s+", " ", item.inner_text()).strip()
    context.close()
