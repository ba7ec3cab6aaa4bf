"""Video is checked with ffprobe before anything is stored: length and picture size."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from parley.domain.errors import Invalid
from parley.domain.media.checks import Limits, check_upload
from tests.fixtures.media import have_ffmpeg

pytestmark = pytest.mark.skipif(not have_ffmpeg(), reason="ffmpeg/ffprobe are not installed")
LIMITS = Limits(image_bytes=16 * 1024 * 1024, video_bytes=99 * 1024 * 1024)


def make_video(folder: Path, source: str) -> bytes:
    target = folder / "v.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source,
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(target)],
        check=True,
    )  # fmt: skip
    return target.read_bytes()


async def test_a_short_video_is_accepted(tmp_path: Path) -> None:
    data = make_video(tmp_path, "testsrc=size=64x48:rate=5:duration=1")
    assert await check_upload(data, LIMITS) == ("video", "video/mp4")


async def test_a_video_over_ten_minutes_is_refused(tmp_path: Path) -> None:
    data = make_video(tmp_path, "color=c=blue:size=16x16:rate=1:duration=601")
    with pytest.raises(Invalid, match="at most 10 minutes"):
        await check_upload(data, LIMITS)


async def test_a_video_bigger_than_4k_is_refused(tmp_path: Path) -> None:
    data = make_video(tmp_path, "color=c=blue:size=5000x3000:rate=1:duration=1")
    with pytest.raises(Invalid, match="too large"):
        await check_upload(data, LIMITS)


async def test_a_file_that_claims_to_be_mp4_but_is_not_is_refused() -> None:
    with pytest.raises(Invalid, match="not a readable video"):
        await check_upload(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 500, LIMITS)
