"""What an upload must be to be accepted: size, real type, a readable header, alt text, focus.

Checked in the request, before anything is stored, so bad input leaves nothing behind.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio

from parley.config import Settings
from parley.domain.errors import Invalid
from parley.domain.media import processing
from parley.domain.media.models import MAX_DESCRIPTION, MediaKind
from parley.domain.media.processing import MediaError


@dataclass(frozen=True, slots=True)
class Limits:
    image_bytes: int
    video_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.media_max_image_bytes, settings.media_max_video_bytes)


def check_description(description: str | None) -> str:
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise Invalid("description", f"Description is at most {MAX_DESCRIPTION} characters")
    return text


def parse_focus(value: str | None) -> tuple[float, float] | None:
    """Mastodon's "x,y" focal point, each in [-1, 1]; None when absent."""
    if value is None or not value.strip():
        return None
    try:
        x, y = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise Invalid("focus", "Focus must be two numbers, like 0.5,-0.25") from exc
    if not (math.isfinite(x) and math.isfinite(y) and -1 <= x <= 1 and -1 <= y <= 1):
        raise Invalid("focus", "Focus values must be between -1 and 1")
    return x, y


async def _check_video(data: bytes) -> None:
    if not processing.have_ffmpeg():
        raise Invalid("file", "Video uploads are not available on this server")
    with tempfile.TemporaryDirectory(prefix="parley-probe-") as folder:
        path = Path(folder) / "in"
        await anyio.Path(path).write_bytes(data)
        try:
            info = await processing.probe(path)
        except MediaError as exc:
            raise Invalid("file", "The file is not a readable video") from exc
    streams = info.get("streams")
    videos = [s for s in streams or [] if isinstance(s, dict) and s.get("codec_type") == "video"]
    if not videos:
        raise Invalid("file", "The file is not a readable video")
    width, height = int(videos[0].get("width") or 0), int(videos[0].get("height") or 0)
    if width * height > processing.MAX_VIDEO_PIXELS:
        raise Invalid("file", "The video's picture is too large")
    fmt = info.get("format")
    duration = fmt.get("duration") if isinstance(fmt, dict) else None
    try:
        seconds = float(duration or 0)
    except ValueError:
        seconds = 0.0
    if seconds > processing.MAX_VIDEO_SECONDS:
        minutes = processing.MAX_VIDEO_SECONDS // 60
        raise Invalid("file", f"Videos can be at most {minutes} minutes long")


async def check_upload(data: bytes, limits: Limits) -> tuple[str, str]:
    """(kind, sniffed type) of an acceptable upload, or Invalid with the reason."""
    if not data:
        raise Invalid("file", "The file is empty")
    content_type = processing.sniff(data[:32])
    if content_type is None:
        raise Invalid("file", "This file type is not supported")
    video = content_type in processing.VIDEO_TYPES
    limit = limits.video_bytes if video else limits.image_bytes
    if len(data) > limit:
        raise Invalid("file", f"The file is larger than {limit // (1024 * 1024)} MB")
    if video:
        await _check_video(data)
        return MediaKind.VIDEO, content_type
    try:
        animated = await anyio.to_thread.run_sync(processing.is_animated, data)
    except MediaError as exc:
        raise Invalid("file", str(exc)) from exc
    return (MediaKind.GIFV if animated else MediaKind.IMAGE), content_type
