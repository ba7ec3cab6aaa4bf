"""In Chromium: choose pictures with alt text, see the preview, post, open the lightbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, shot
from tests.e2e.test_journey import sign_up
from tests.fixtures.media import jpeg_with_gps, png_with_text

pytestmark = pytest.mark.browser


def test_post_two_pictures_and_browse_them_with_the_keyboard(
    chromium: Browser, server: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.jpg", tmp_path / "second.png"
    first.write_bytes(jpeg_with_gps(1600, 1200))
    second.write_bytes(png_with_text(900, 600))
    context = chromium.new_context(base_url=server, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_up(page, "alice")
    page.get_by_label("Write a parley").fill("Two pictures")
    page.locator("summary", has_text="Media").first.click()
    page.get_by_label("File 1", exact=True).first.set_input_files(str(first))
    page.get_by_label("Description (alt text) for file 1").first.fill(
        "A gradient with a red corner"
    )
    page.get_by_label("File 2", exact=True).first.set_input_files(str(second))
    page.get_by_label("Description (alt text) for file 2").first.fill("A smaller gradient")
    expect(page.locator("img.media-preview").first).to_be_visible()
    shot(page, "media-composer")
    page.get_by_role("button", name="Parley", exact=True).first.click()

    picture = page.get_by_role("img", name="A gradient with a red corner")
    expect(picture).to_be_visible()
    shot(page, "media-gallery")
    picture.click()
    dialog = page.locator("dialog.lightbox")
    expect(dialog).to_be_visible()
    expect(dialog.locator("figcaption")).to_contain_text("A gradient with a red corner")
    page.keyboard.press("ArrowRight")
    expect(dialog.locator("figcaption")).to_contain_text("A smaller gradient")
    shot(page, "media-lightbox")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    context.close()
