"""Turning an uploaded file into files safe to publish.

Images are decoded and re-encoded from their pixels only, so nothing of the original
container survives: no EXIF/GPS, XMP, ICC or text chunks, and no payload appended after the
image data (polyglots). Orientation is applied first, since the EXIF tag that says how to
rotate is dropped. Video goes through ffmpeg with all metadata dropped (`-map_metadata -1`,
which also removes the QuickTime location atoms that leaked Parler members' positions).

The type is sniffed from the bytes; a filename or a client's Content-Type is never trusted.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import blurhash
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # refuse anything bigger before decoding (decompression bombs)
MAX_SIDE = 1920
SMALL_SIDE = 640
MAX_VIDEO_SECONDS = 600
MAX_VIDEO_PIXELS = 4096 * 2304  # up to 4K; bigger is refused before transcoding
FFMPEG_SECONDS = 240
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif")
VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime")


class MediaError(ValueError):
    """The file cannot be accepted; the message is fit to show the uploader."""


def sniff(head: bytes) -> str | None:
    """The file's real type from its first bytes, or None for anything we do not take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    return None


@dataclass(frozen=True, slots=True)
class Processed:
    data: bytes
    content_type: str
    ext: str
    width: int
    height: int
    small: bytes
    small_width: int
    small_height: int
    blurhash: str
    duration: float | None = None
    animated: bool = False


def open_image(data: bytes) -> Image.Image:
    """Open and check an image without decoding its pixels yet: size and integrity."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past 2x raises) for huge images; we refuse them ourselves.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise MediaError("The image has too many pixels")
            if image.format not in ("JPEG", "PNG", "GIF", "WEBP", "AVIF"):
                raise MediaError("This image format is not supported")
            image.verify()  # structure and checksums (PNG CRCs); the object is spent after
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError("The image has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, MediaError):
            raise
        raise MediaError("The file is not a readable image") from exc
    return image


def is_animated(data: bytes) -> bool:
    image = open_image(data)
    return bool(getattr(image, "is_animated", False)) and getattr(image, "n_frames", 1) > 1


def _encode(image: Image.Image, *, quality: int) -> tuple[bytes, str, str]:
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        image.save(out, "WEBP", quality=quality, method=4)
        return out.getvalue(), "image/webp", "webp"
    image = image.convert("RGB")
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue(), "image/jpeg", "jpg"


def _fresh(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: no info dict, no EXIF, no ICC, no text chunks."""
    if image.mode not in ("RGB", "RGBA", "L"):
        transparent = image.mode in ("LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def hash_of(image: Image.Image) -> str:
    tiny = image.convert("RGB")
    tiny.thumbnail((32, 32))
    pixels = list(tiny.get_flattened_data())
    rows = [pixels[y * tiny.width : (y + 1) * tiny.width] for y in range(tiny.height)]
    return str(blurhash.encode(rows, components_x=4, components_y=3))


def process_image(data: bytes, *, max_side: int = MAX_SIDE) -> Processed:
    """Decode, orient, strip, resize, thumbnail and hash a still image (CPU-bound: thread)."""
    image = open_image(data)
    scale = min(1.0, max_side / max(image.width, image.height))
    try:
        # JPEG: decode straight at 1/2, 1/4 or 1/8 scale when the result is still big enough
        # (both sides must stay at or above the target, so it is the target's own shape).
        image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
        image.load()
        # Resize first: orienting and copying the pixels is then done on the small image.
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        image = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaError("The image is damaged and cannot be read") from exc
    image = _fresh(image)
    encoded, content_type, ext = _encode(image, quality=85)
    small = image.copy()
    small.thumbnail((SMALL_SIDE, SMALL_SIDE), Image.Resampling.LANCZOS)
    small_data, _, _ = _encode(small, quality=80)
    return Processed(
        data=encoded,
        content_type=content_type,
        ext=ext,
        width=image.width,
        height=image.height,
        small=small_data,
        small_width=small.width,
        small_height=small.height,
        blurhash=hash_of(small),
    )


def poster_frame(data: bytes) -> tuple[bytes, int, int, str]:
    """A JPEG thumbnail (and its blurhash) from a frame ffmpeg extracted."""
    image = _fresh(open_image(data).convert("RGB"))
    image.thumbnail((SMALL_SIDE, SMALL_SIDE), Image.Resampling.LANCZOS)
    encoded, _, _ = _encode(image, quality=80)
    return encoded, image.width, image.height, hash_of(image)


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


async def _run(args: list[str]) -> bytes:
    # Well inside the worker's 5-minute lease, so a slow file never runs twice at once.
    try:
        with anyio.fail_after(FFMPEG_SECONDS):
            result = await anyio.run_process(args, check=False)
    except TimeoutError as exc:
        raise MediaError("The video took too long to process") from exc
    if result.returncode != 0:
        raise MediaError("The video could not be read")
    return result.stdout


async def probe(path: Path) -> dict[str, Any]:
    out = await _run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ]
    )
    found: dict[str, Any] = json.loads(out)
    return found


async def process_video(data: bytes, *, gifv: bool = False) -> Processed:
    """Transcode to H.264/AAC MP4 (≤1920 px, even sides) with every metadata tag dropped."""
    if not have_ffmpeg():
        raise MediaError("Video uploads are not available on this server")
    with tempfile.TemporaryDirectory(prefix="parley-media-") as folder:
        source, target, frame = (Path(folder) / n for n in ("in", "out.mp4", "poster.jpg"))
        await anyio.Path(source).write_bytes(data)
        info = await probe(source)
        streams = info.get("streams")
        if not isinstance(streams, list) or not any(
            isinstance(s, dict) and s.get("codec_type") == "video" for s in streams
        ):
            raise MediaError("The file has no video")
        scale = "scale='min(1920,iw)':'min(1920,ih)':force_original_aspect_ratio=decrease"
        args = ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-map_metadata", "-1"]
        args += ["-map_chapters", "-1", "-map", "0:v:0"]
        args += ["-vf", f"{scale},scale=trunc(iw/2)*2:trunc(ih/2)*2", "-c:v", "libx264"]
        args += ["-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
        args += ["-an"] if gifv else ["-map", "0:a:0?", "-c:a", "aac", "-b:a", "128k"]
        args += ["-movflags", "+faststart", "-f", "mp4", str(target)]
        await _run(args)
        await _run(["ffmpeg", "-v", "error", "-y", "-i", str(target), "-frames:v", "1", str(frame)])
        out_info = await probe(target)
        video = next(
            s for s in out_info["streams"] if isinstance(s, dict) and s.get("codec_type") == "video"
        )
        fmt = out_info.get("format")
        duration = float(fmt.get("duration", 0) or 0) if isinstance(fmt, dict) else None
        encoded = await anyio.Path(target).read_bytes()
        small, small_w, small_h, hashed = poster_frame(await anyio.Path(frame).read_bytes())
    return Processed(
        data=encoded,
        content_type="video/mp4",
        ext="mp4",
        width=int(video["width"]),
        height=int(video["height"]),
        small=small,
        small_width=small_w,
        small_height=small_h,
        blurhash=hashed,
        duration=duration,
        animated=gifv,
    )
