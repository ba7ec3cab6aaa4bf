"""Mastodon.py, a real client library, posting a photo and a video to a live server."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import uvicorn

from parley.app import create_app
from parley.config import Settings
from tests.fixtures.media import have_ffmpeg, jpeg_with_gps, video_with_location
from tests.integration.mastodon.test_mastodon_py import _free_port, _sign_up


@pytest.fixture
def live_with_worker(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A live server whose embedded worker processes uploads, as `parley serve` runs."""
    port = _free_port()
    settings = Settings(
        domain=f"127.0.0.1:{port}",
        database_url=database_url,
        data_dir=tmp_path,
        media_dir=tmp_path / "media",
        secret_key="test-secret-key-not-for-production",
        password_time_cost=1,
        password_memory_cost_kib=1024,
        cookie_secure=False,
    )
    app = create_app(settings, run_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            # Under load the client can idle past uvicorn's 5 s default and then reuse a
            # connection the server is closing (a reset POST).
            timeout_keep_alive=120,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


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
