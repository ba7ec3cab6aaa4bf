"""Avatars and headers: through the Mastodon API and the profile settings page."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image

from parley.runtime import Runtime
from tests.fixtures.media import jpeg_with_gps, png_with_text
from tests.integration.mastodon.conftest import Api
from tests.integration.web.conftest import Browser


def stored(root: Path, folder: str) -> list[Path]:
    return [p for p in (root / folder).rglob("*") if p.is_file()] if root.exists() else []


async def test_update_credentials_sets_a_stripped_avatar_and_header(
    api: Api, runtime: Runtime
) -> None:
    alice = await api.member("alice")
    me = await api.call(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        alice,
        files={
            "avatar": ("me.jpg", jpeg_with_gps(1200, 1200), "image/jpeg"),
            "header": ("wide.png", png_with_text(1500, 500), "image/png"),
        },
        data={"display_name": "Alice"},
        schema="CredentialAccount",
    )
    assert me["display_name"] == "Alice"
    assert "/media/avatars/" in me["avatar"]
    assert "/media/headers/" in me["header"]
    avatar = await api.client.get(me["avatar"])
    image = Image.open(io.BytesIO(avatar.content))
    assert image.size == (400, 400)
    assert not image.getexif()
    # A new avatar replaces the old file.
    await api.call(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        alice,
        files={"avatar": ("me2.jpg", jpeg_with_gps(300, 300), "image/jpeg")},
    )
    assert len(stored(runtime.settings.media_dir, "avatars")) == 1


async def test_a_video_or_junk_is_not_an_avatar(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    error = await api.call(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        alice,
        files={"avatar": ("me.jpg", b"<svg onload=alert(1)>", "image/jpeg")},
        status=422,
    )
    assert "not supported" in error["error"]
    assert stored(runtime.settings.media_dir, "avatars") == []


async def test_profile_settings_page_uploads_and_removes_an_avatar(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    page = await browser.get("/settings/profile")
    assert 'enctype="multipart/form-data"' in page.text
    token = await browser.csrf("/settings/profile")
    fields = {"csrf_token": token, "display_name": "Alice", "note": ""}
    saved = await client.post(
        "/settings/profile",
        data=fields,
        files={"avatar": ("me.jpg", jpeg_with_gps(500, 500), "image/jpeg")},
    )
    assert saved.status_code == 303, saved.text
    page = await browser.get("/settings/profile")
    assert "/media/avatars/" in page.text
    assert len(stored(runtime.settings.media_dir, "avatars")) == 1
    removed = await client.post("/settings/profile", data={**fields, "remove_avatar": "1"})
    assert removed.status_code == 303
    assert stored(runtime.settings.media_dir, "avatars") == []
