"""The mirror's manifest and file writing: refuse what it does not own, never half-write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parley.web.mirror.manifest import (
    MANIFEST_NAME,
    Manifest,
    MirrorError,
    open_target,
    remove_file,
    safe_path,
    save_manifest,
    write_atomic,
)


def test_a_new_directory_is_created_with_an_empty_manifest(tmp_path: Path) -> None:
    root, manifest = open_target(tmp_path / "a" / "b", "parley.test")
    assert root.is_dir()
    assert manifest.files == {}
    assert manifest.instance == "parley.test"


def test_a_file_is_not_a_target(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(MirrorError, match="not a directory"):
        open_target(target, "parley.test")


def test_a_directory_that_cannot_be_created_is_explained(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(MirrorError, match="cannot create"):
        open_target(tmp_path / "file" / "sub", "parley.test")


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"format": 99, "files": {}}), json.dumps({"format": 1})],
)
def test_a_damaged_manifest_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / MANIFEST_NAME).write_text(content)
    with pytest.raises(MirrorError, match="damaged"):
        open_target(tmp_path, "parley.test")


def test_a_manifest_naming_files_outside_the_mirror_is_refused(tmp_path: Path) -> None:
    data = {"format": 1, "instance": "parley.test", "files": {"../escape.html": "x"}}
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(MirrorError, match="outside"):
        open_target(tmp_path, "parley.test")


@pytest.mark.parametrize("path", ["/etc/passwd", "a/../../b", "", ".."])
def test_safe_path_refuses_escapes(tmp_path: Path, path: str) -> None:
    with pytest.raises(MirrorError):
        safe_path(tmp_path, path)


def test_the_manifest_round_trips(tmp_path: Path) -> None:
    manifest = Manifest(
        files={"index.html": "f1"}, posts={"1": "s"}, profiles={"a": "p"}, instance="x.test"
    )
    save_manifest(tmp_path, manifest)
    _, loaded = open_target(tmp_path, "x.test")
    assert loaded == manifest


def test_atomic_write_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "page.html"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_removing_the_last_file_of_a_folder_removes_the_folder(tmp_path: Path) -> None:
    write_atomic(tmp_path / "users" / "a" / "index.html", b"x")
    write_atomic(tmp_path / "users" / "b" / "index.html", b"x")
    assert remove_file(tmp_path, "users/a/index.html")
    assert not (tmp_path / "users" / "a").exists()
    assert (tmp_path / "users" / "b").is_dir()
    assert not remove_file(tmp_path, "users/a/index.html")
