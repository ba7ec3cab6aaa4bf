"""`parley mirror DIR` from the command line: a summary on success, a clear error otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from parley.cli import main
from parley.config import Settings
from tests.integration.mirror.conftest import Site


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PARLEY_DOMAIN", settings.domain)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PARLEY_MEDIA_DIR", str(settings.media_dir))
    monkeypatch.setenv("PARLEY_SECRET_KEY", settings.secret_key or "x")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["mirror", *args])


async def test_the_command_renders_and_reports_what_it_did(
    env: None, site: Site, tmp_path: Path
) -> None:
    alice = await site.member("alice")
    await site.post(alice, "from the command line")
    target = tmp_path / "out"

    # The command runs its own event loop, so it gets a thread of its own here.
    first = await asyncio.to_thread(run, str(target))
    assert first.exit_code == 0, first.output
    assert "written" in first.output
    assert "from the command line" in (target / "users/alice/index.html").read_text()

    second = await asyncio.to_thread(run, str(target))
    assert second.exit_code == 0, second.output
    assert "0 file(s) written, 0 removed" in second.output


def a_file(tmp_path: Path) -> Path:
    target = tmp_path / "target"
    target.write_text("x")
    return target


def under_a_file(tmp_path: Path) -> Path:
    return a_file(tmp_path) / "sub"


def on_a_read_only_filesystem(tmp_path: Path) -> Path:
    return Path("/proc/parley-mirror-test")  # even root cannot create it


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (a_file, "is not a directory"),
        (under_a_file, "cannot create"),
        (on_a_read_only_filesystem, "cannot create"),
    ],
)
def test_a_bad_directory_gets_a_clear_error_and_no_traceback(
    env: None, tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    result = run(str(make(tmp_path)))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_foreign_manifest_is_refused_and_nothing_is_written(env: None, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    manifest = target / ".parley-mirror.json"
    manifest.write_text('{"format": 1, "instance": "other.example", "files": {}}')
    result = run(str(target))
    assert result.exit_code == 1
    assert "other.example" in result.output
    assert [p.name for p in target.iterdir()] == [".parley-mirror.json"]


def test_a_bad_base_url_is_refused(env: None, tmp_path: Path) -> None:
    result = run(str(tmp_path / "out"), "--base-url", "mirror.example.org")
    assert result.exit_code == 2
    assert "https://" in result.output
    assert not (tmp_path / "out").exists()
