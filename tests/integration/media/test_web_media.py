"""The web UI: posting pictures with alt text from the composer, the gallery, bad files."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image
from sqlalchemy import select

from parley.domain.media.queries import list_post_media
from parley.domain.posts.models import Post
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.fixtures.media import jpeg_with_gps, noise_png, png_with_text
from tests.integration.web.conftest import Browser


async def post_form(
    browser: Browser,
    fields: dict[str, str | list[str]],
    files: list[tuple[str, tuple[str, bytes, str]]],
) -> httpx.Response:
    fields = {"csrf_token": await browser.csrf("/home"), "next": "/home", **fields}
    return await browser.client.post("/posts", data=fields, files=files)


async def test_a_member_posts_pictures_with_alt_text_from_the_composer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    home = await browser.get("/home")
    assert 'enctype="multipart/form-data"' in home.text
    assert 'name="media"' in home.text
    response = await post_form(
        browser,
        {"text": "Holiday", "media_description": "A red square"},
        [
            ("media", ("photo.jpg", jpeg_with_gps(1200, 900), "image/jpeg")),
            ("media", ("", b"", "application/octet-stream")),  # an input left empty
        ],
    )
    assert response.status_code == 303, response.text
    page = await browser.get("/home")
    assert 'alt="A red square"' in page.text
    assert "data-lightbox=" in page.text
    src = re.search(r'<img src="(/media/attachments/[^"]+)" alt="A red square"', page.text)
    assert src, page.text
    served = await browser.get(src.group(1))
    assert served.status_code == 200
    assert not Image.open(io.BytesIO(served.content)).getexif()


async def test_sensitive_media_is_blurred_until_shown(client: httpx.AsyncClient) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    response = await post_form(
        browser,
        {"text": "", "sensitive": "1"},
        [("media", ("a.png", png_with_text(), "image/png"))],
    )
    assert response.status_code == 303, response.text
    page = await browser.get("/home")
    assert 'class="media-sensitive"' in page.text


async def test_a_bad_file_shows_the_form_again_and_stores_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    response = await post_form(
        browser,
        {"text": "look"},
        [
            ("media", ("ok.jpg", jpeg_with_gps(100, 100), "image/jpeg")),
            ("media", ("evil.jpg", b"<html><script>alert(1)</script>", "image/jpeg")),
        ],
    )
    assert response.status_code == 422
    assert "evil.jpg: This file type is not supported" in response.text
    root = runtime.settings.media_dir
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


async def test_a_member_who_requires_alt_text_cannot_post_undescribed_media(
    client: httpx.AsyncClient,
) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    token = await browser.csrf("/settings/profile")
    saved = await client.post(
        "/settings/profile",
        data={
            "csrf_token": token,
            "display_name": "",
            "note": "",
            "require_media_description": "1",
        },
    )
    assert saved.status_code == 303
    refused = await post_form(
        browser, {"text": "x"}, [("media", ("a.jpg", jpeg_with_gps(64, 64), "image/jpeg"))]
    )
    assert refused.status_code == 422
    assert "needs a description" in refused.text
    accepted = await post_form(
        browser,
        {"text": "x", "media_description": "A test card"},
        [("media", ("a.jpg", jpeg_with_gps(64, 64), "image/jpeg"))],
    )
    assert accepted.status_code == 303


async def test_a_big_picture_shows_as_processing_until_the_worker_is_done(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    response = await post_form(
        browser, {"text": "big"}, [("media", ("big.png", noise_png(700, 600), "image/png"))]
    )
    assert response.status_code == 303, response.text
    assert "Processing image" in (await browser.get("/home")).text
    await runtime.worker.drain()
    page = await browser.get("/home")
    assert "Processing image" not in page.text
    assert '<img src="/media/attachments/' in page.text
    async with runtime.db.reader() as session:
        kinds = set(await session.scalars(select(Job.kind)))
    assert "event.post.edited" in kinds  # federation and streams hear of the finished file


async def test_the_edit_page_changes_alt_text_and_removes_a_picture(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    browser = Browser(client)
    await browser.sign_up("alice")
    picture = ("media", ("a.jpg", jpeg_with_gps(64, 64), "image/jpeg"))
    await post_form(
        browser, {"text": "two", "media_description": ["first", "second"]}, [picture, picture]
    )
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post))
        assert post is not None
        first, second = await list_post_media(session, post.id)
    url = f"/@alice/{post.id}/edit"
    page = await browser.get(url)
    assert 'name="media_description_' in page.text
    saved = await client.post(
        url,
        data={
            "csrf_token": await browser.csrf(url),
            "text": "one",
            f"media_description_{first.id}": "the first, described better",
            f"media_description_{second.id}": "second",
            f"media_remove_{second.id}": "1",
        },
    )
    assert saved.status_code == 303, saved.text
    async with runtime.db.reader() as session:
        [kept] = await list_post_media(session, post.id)
    assert kept.id == first.id
    assert kept.description == "the first, described better"
