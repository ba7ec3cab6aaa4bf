"""Image processing: metadata gone, orientation applied, sizes, blurhash, bad input refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, features

from parley.domain.media import processing
from parley.domain.media.processing import MediaError
from tests.fixtures.media import animated_gif, gradient, jpeg_with_gps, png_with_text


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_clean(data: bytes) -> None:
    image = reopen(data)
    assert not image.getexif(), "EXIF survived"
    assert "exif" not in image.info
    assert "xmp" not in image.info, "XMP survived"
    assert b"xmpmeta" not in data
    assert "icc_profile" not in image.info
    assert b"48.8584" not in data
    assert b"secret location" not in data
    assert not getattr(image, "text", {}), "PNG text chunks survived"


def test_jpeg_loses_exif_gps_and_xmp() -> None:
    original = jpeg_with_gps()
    assert reopen(original).getexif().get_ifd(0x8825), "the fixture must carry GPS"
    result = processing.process_image(original)
    assert_clean(result.data)
    assert_clean(result.small)
    assert result.content_type == "image/jpeg"


def test_png_loses_text_chunks_and_keeps_transparency() -> None:
    original = png_with_text()
    assert reopen(original).info.get("Comment")
    result = processing.process_image(original)
    assert_clean(result.data)
    assert result.content_type == "image/webp"  # RGBA stays transparent


def test_exif_orientation_is_applied_before_the_tag_is_dropped() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise.
    result = processing.process_image(jpeg_with_gps(400, 200, orientation=6))
    image = reopen(result.data).convert("RGB")
    assert (image.width, image.height) == (200, 400)
    # The red top-left block is now at the top right.
    r, g, b = image.getpixel((image.width - 10, 10))  # type: ignore[misc]
    assert r > 200
    assert g < 60
    assert b < 60


def test_original_and_small_are_resized_and_hashed() -> None:
    result = processing.process_image(jpeg_with_gps(3000, 2000))
    assert (result.width, result.height) == (1920, 1280)
    assert max(result.small_width, result.small_height) == processing.SMALL_SIDE
    assert reopen(result.small).size == (result.small_width, result.small_height)
    assert len(result.blurhash) >= 6


def test_polyglot_payload_is_dropped_by_reencoding() -> None:
    payload = b"PK\x03\x04<html><script>alert(1)</script></html>"
    result = processing.process_image(jpeg_with_gps() + payload)
    assert b"<script>" not in result.data
    assert b"PK\x03\x04" not in result.data


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypisom", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3", "video/webm"),
        (b"<html><body>", None),
        (b"%PDF-1.7", None),
    ],
)
def test_type_is_sniffed_from_bytes(head: bytes, expected: str | None) -> None:
    assert processing.sniff(head) == expected


def test_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 MP, a few KB on disk
    assert len(out.getvalue()) < 100_000
    with pytest.raises(MediaError, match="too many pixels"):
        processing.open_image(out.getvalue())


def test_truncated_image_is_refused() -> None:
    data = jpeg_with_gps()
    with pytest.raises(MediaError):
        processing.process_image(data[: len(data) // 3])


def test_corrupt_png_checksum_is_refused() -> None:
    data = bytearray(png_with_text())
    data[40] ^= 0xFF  # inside the IHDR/first chunk: the CRC no longer matches
    with pytest.raises(MediaError):
        processing.process_image(bytes(data))


def test_animated_gif_is_detected() -> None:
    assert processing.is_animated(animated_gif())
    assert not processing.is_animated(jpeg_with_gps(50, 50))


def _saved(fmt: str, **options: object) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    gradient(320, 240).save(out, fmt, exif=exif, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "sniffed"),
    [("WEBP", "image/webp"), ("GIF", "image/gif"), ("AVIF", "image/avif")],
)
def test_other_formats_are_read_and_written_clean(fmt: str, sniffed: str) -> None:
    if fmt == "AVIF" and not features.check("avif"):
        pytest.skip("this Pillow has no AVIF codec")
    data = _saved(fmt) if fmt != "GIF" else _gif()
    assert processing.sniff(data[:32]) == sniffed
    result = processing.process_image(data)
    assert_clean(result.data)
    assert (result.width, result.height) == (320, 240)


def _gif() -> bytes:
    out = io.BytesIO()
    gradient(320, 240).convert("P").save(out, "GIF", comment=b"secret location 48.8584")
    return out.getvalue()
