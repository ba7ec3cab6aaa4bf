"""Mastodon.py, a real client library, posting a photo and a video to a live server."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fixtures.media import have_ffmpeg, jpeg_with_gps, video_with_location
from tests.integration.mastodon.test_mastodon_py import _sign_up
from tests.live import live_server


@pytest.fixture
def live_with_worker(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A live server whose embedded worker processes uploads, as `parley serve` runs."""
    with live_server(database_url, tmp_path, run_worker=True) as url:
        yield url


@pytest.mark.slow
def test_mastodon_py_posts_a_photo_and_a_video(live_with_worker: str, tmp_path: Path) -> None:
    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe are not installed")
    alice = _sign_up(live_with_worker, "alice")
    photo = alice.media_post(
        jpeg_with_gps(1600, 1200),
        mime_type="image/jpeg",
        description="A gradient",
        focus=(0.2, 0.4),
    )
    assert photo.type == "image"
    assert photo.description == "A gradient"
    clip = alice.media_post(
        video_with_location(tmp_path, container="mp4"), mime_type="video/mp4", synchronous=True
    )
    assert clip.type == "video"
    assert clip.url
    status = alice.status_post("Paris", media_ids=[photo, clip])
    assert [m.type for m in status.media_attachments] == ["image", "video"]
    served = tmp_path / "served.mp4"
    served.write_bytes(requests.get(status.media_attachments[1].url, timeout=10).content)
    tags = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(served)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "48.8584" not in tags
    assert alice.instance().configuration.statuses.max_media_attachments == 4
