"""Media through the Mastodon API: upload, processing, description, attaching, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from parley.domain.media.models import MediaAttachment
from parley.runtime import Runtime
from tests.fixtures.media import (
    animated_gif,
    ffprobe_tags,
    have_ffmpeg,
    jpeg_with_gps,
    noise_png,
    png_with_text,
    video_with_location,
)
from tests.integration.mastodon.conftest import Api

needs_ffmpeg = pytest.mark.skipif(not have_ffmpeg(), reason="ffmpeg/ffprobe are not installed")


def files(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> dict:
    return {"file": (name, data, content_type)}


async def stored_files(runtime: Runtime) -> list[Path]:
    root = runtime.settings.media_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def fetch_file(api: Api, url: str) -> bytes:
    response = await api.client.get(url)
    assert response.status_code == 200, url
    return response.content


async def test_v1_upload_is_processed_at_once_and_stripped(api: Api) -> None:
    alice = await api.member("alice")
    media = await api.call(
        "POST",
        "/api/v1/media",
        alice,
        files=files(jpeg_with_gps(2400, 1600)),
        data={"description": "A gradient", "focus": "0.5,-0.25"},
        schema="MediaAttachment",
    )
    assert media["type"] == "image"
    assert media["description"] == "A gradient"
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert media["meta"]["original"]["width"] == 1920
    assert media["blurhash"]
    original = await fetch_file(api, media["url"])
    image = Image.open(io.BytesIO(original))
    assert not image.getexif()
    assert b"xmpmeta" not in original
    small = Image.open(io.BytesIO(await fetch_file(api, media["preview_url"])))
    assert max(small.size) == 640


async def test_v2_video_is_processed_in_the_background_then_posted(
    api: Api, runtime: Runtime, tmp_path: Path
) -> None:
    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe are not installed")
    alice = await api.member("alice")
    clip = video_with_location(tmp_path)
    assert "48.8584" in ffprobe_tags(tmp_path / "clip.mov"), "the fixture must carry a location"
    media = await api.call(
        "POST",
        "/api/v2/media",
        alice,
        files=files(clip, "clip.mov", "video/quicktime"),
        status=202,
        schema="MediaAttachment",
    )
    assert media["url"] is None
    await api.call("GET", f"/api/v1/media/{media['id']}", alice, status=206)
    # Not attachable while processing.
    await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        json={"status": "x", "media_ids": [media["id"]]},
        status=422,
    )
    await runtime.worker.drain()
    ready = await api.call("GET", f"/api/v1/media/{media['id']}", alice, schema="MediaAttachment")
    assert ready["type"] == "video"
    assert ready["url"].endswith(".mp4")
    assert ready["meta"]["original"]["duration"] > 0.5
    served = tmp_path / "served.mp4"
    served.write_bytes(await fetch_file(api, ready["url"]))
    tags = ffprobe_tags(served)
    assert "48.8584" not in tags
    assert "location" not in tags.lower()
    assert b"48.8584" not in served.read_bytes()
    status = await api.call(
        "POST", "/api/v1/statuses", alice, json={"media_ids": [media["id"]]}, schema="Status"
    )
    assert status["media_attachments"][0]["id"] == media["id"]
    # No raw upload is left behind.
    assert not [p for p in await stored_files(runtime) if "incoming" in p.parts]


async def test_big_image_goes_through_the_queue(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    media = await api.call(
        "POST",
        "/api/v2/media",
        alice,
        files=files(noise_png(700, 600), "a.png", "image/png"),
        status=202,
    )
    await runtime.worker.drain()
    ready = await api.call("GET", f"/api/v1/media/{media['id']}", alice)
    assert ready["url"] is not None


async def test_status_with_media_validates_and_shows_alt_text(api: Api) -> None:
    alice = await api.member("alice")
    ids = []
    for _ in range(2):
        media = await api.call("POST", "/api/v2/media", alice, files=files(jpeg_with_gps(64, 64)))
        ids.append(media["id"])
    await api.call(
        "PUT",
        f"/api/v1/media/{ids[1]}",
        alice,
        json={"description": "second"},
        schema="MediaAttachment",
    )
    status = await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        json={"status": "two pictures", "media_ids": ids, "sensitive": True},
        schema="Status",
    )
    assert [m["id"] for m in status["media_attachments"]] == ids
    assert status["media_attachments"][1]["description"] == "second"
    assert status["sensitive"] is True
    fetched = await api.call("GET", f"/api/v1/statuses/{status['id']}", schema="Status")
    assert len(fetched["media_attachments"]) == 2
    # Edit: keep only the second.
    edited = await api.call(
        "PUT",
        f"/api/v1/statuses/{status['id']}",
        alice,
        json={"status": "one picture", "media_ids": [ids[1]]},
        schema="Status",
    )
    assert [m["id"] for m in edited["media_attachments"]] == [ids[1]]
    only_media = await api.call("GET", "/api/v1/timelines/public?only_media=true", alice)
    assert [s["id"] for s in only_media] == [status["id"]]


async def test_at_most_four_attachments_and_only_ones_own(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    ids = [
        (await api.call("POST", "/api/v1/media", alice, files=files(jpeg_with_gps(32, 32))))["id"]
        for _ in range(5)
    ]
    error = await api.call(
        "POST", "/api/v1/statuses", alice, json={"status": "x", "media_ids": ids}, status=422
    )
    assert "at most 4" in error["error"]
    await api.call(
        "POST", "/api/v1/statuses", bob, json={"status": "x", "media_ids": ids[:1]}, status=422
    )
    await api.call("GET", f"/api/v1/media/{ids[0]}", bob, status=404)
    await api.call("PUT", f"/api/v1/media/{ids[0]}", bob, json={"description": "x"}, status=404)
    # Once attached to one post, not to another.
    await api.call("POST", "/api/v1/statuses", alice, json={"media_ids": ids[:1]})
    await api.call(
        "POST", "/api/v1/statuses", alice, json={"status": "y", "media_ids": ids[:1]}, status=422
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "not supported"),
        (b"%PDF-1.7 fake", "not supported"),
        (jpeg_with_gps()[:400], "image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "image"),
        (b"", "empty"),
    ],
    ids=["html-as-jpeg", "pdf", "truncated-jpeg", "broken-png", "empty"],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    api: Api, runtime: Runtime, data: bytes, message: str
) -> None:
    alice = await api.member("alice")
    for path in ("/api/v1/media", "/api/v2/media"):
        error = await api.call("POST", path, alice, files=files(data), status=422)
        assert message in error["error"]
    assert await stored_files(runtime) == []
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(MediaAttachment)) == 0


async def test_too_big_and_bomb_are_refused(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    runtime.settings.media_max_image_bytes = 10_000
    error = await api.call(
        "POST", "/api/v1/media", alice, files=files(png_with_text(400, 400)), status=422
    )
    assert "larger than" in error["error"]
    runtime.settings.media_max_image_bytes = 16 * 1024 * 1024
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")
    error = await api.call("POST", "/api/v2/media", alice, files=files(bomb.getvalue()), status=422)
    assert "pixels" in error["error"]
    assert await stored_files(runtime) == []


async def test_polyglot_upload_serves_no_trace_of_the_payload(api: Api) -> None:
    alice = await api.member("alice")
    payload = b"PK\x03\x04evil.html<html><script>alert(document.cookie)</script>"
    media = await api.call(
        "POST", "/api/v1/media", alice, files=files(jpeg_with_gps(200, 200) + payload)
    )
    for url in (media["url"], media["preview_url"]):
        body = await fetch_file(api, url)
        assert b"<script>" not in body
        assert b"PK\x03\x04" not in body


async def test_animated_gif_becomes_gifv(api: Api, runtime: Runtime) -> None:
    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe are not installed")
    alice = await api.member("alice")
    media = await api.call(
        "POST",
        "/api/v2/media",
        alice,
        files=files(animated_gif(), "a.gif", "image/gif"),
        status=202,
    )
    await runtime.worker.drain()
    ready = await api.call("GET", f"/api/v1/media/{media['id']}", alice)
    assert ready["type"] == "gifv"
    assert ready["url"].endswith(".mp4")


async def test_served_files_carry_safe_headers(api: Api) -> None:
    alice = await api.member("alice")
    media = await api.call("POST", "/api/v1/media", alice, files=files(png_with_text()))
    response = await api.client.get(media["url"])
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["content-disposition"] == "inline"
    for bad in (
        "/media/../parley.db",
        "/media/incoming/1/upload_0000000000000000",
        "/media/attachments/1/..%2f..%2fx.webp",
        "/media/%2e%2e/%2e%2e/etc/passwd",
    ):
        assert (await api.client.get(bad)).status_code == 404, bad


async def test_instance_advertises_media_limits(api: Api) -> None:
    instance = await api.call("GET", "/api/v2/instance", schema="Instance")
    media = instance["configuration"]["media_attachments"]
    assert "image/jpeg" in media["supported_mime_types"]
    assert media["image_size_limit"] == 16 * 1024 * 1024
    assert instance["configuration"]["statuses"]["max_media_attachments"] == 4


async def test_an_unattached_upload_can_be_deleted_an_attached_one_cannot(
    api: Api, runtime: Runtime
) -> None:
    alice = await api.member("alice")
    loose = await api.call("POST", "/api/v1/media", alice, files=files(jpeg_with_gps(32, 32)))
    used = await api.call("POST", "/api/v1/media", alice, files=files(jpeg_with_gps(32, 32)))
    await api.call("POST", "/api/v1/statuses", alice, json={"media_ids": [used["id"]]})
    await api.call("DELETE", f"/api/v1/media/{loose['id']}", alice)
    await api.call("GET", f"/api/v1/media/{loose['id']}", alice, status=404)
    await api.call("DELETE", f"/api/v1/media/{used['id']}", alice, status=422)
    assert len(await stored_files(runtime)) == 2  # the used upload's original and preview


async def test_files_are_served_in_byte_ranges_for_video_players(api: Api) -> None:
    alice = await api.member("alice")
    media = await api.call("POST", "/api/v1/media", alice, files=files(jpeg_with_gps(64, 64)))
    whole = await api.client.get(media["url"])
    size = len(whole.content)
    assert whole.headers["accept-ranges"] == "bytes"
    part = await api.client.get(media["url"], headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.content == whole.content[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{size}"
    assert part.headers["x-content-type-options"] == "nosniff"
    tail = await api.client.get(media["url"], headers={"Range": "bytes=-5"})
    assert tail.content == whole.content[-5:]
    beyond = await api.client.get(media["url"], headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 200  # an unsatisfiable range gets the whole file


async def test_editing_a_status_can_change_alt_text_and_focus(api: Api) -> None:
    alice = await api.member("alice")
    media = await api.call("POST", "/api/v1/media", alice, files=files(jpeg_with_gps(32, 32)))
    status = await api.call("POST", "/api/v1/statuses", alice, json={"media_ids": [media["id"]]})
    edited = await api.call(
        "PUT",
        f"/api/v1/statuses/{status['id']}",
        alice,
        json={
            "status": "now described",
            "media_ids": [media["id"]],
            "media_attributes": [{"id": media["id"], "description": "A dot", "focus": "0,1"}],
        },
        schema="Status",
    )
    [attachment] = edited["media_attachments"]
    assert attachment["description"] == "A dot"
    assert attachment["meta"]["focus"] == {"x": 0.0, "y": 1.0}
