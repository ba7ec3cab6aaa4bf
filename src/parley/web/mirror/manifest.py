"""The mirror's memory: which files it wrote and the fingerprint of what each one shows.

`DIR/.parley-mirror.json` maps every file the mirror owns (path relative to DIR) to the
fingerprint of its inputs, and records the stamp of each post and profile it rendered. A run
writes a file only when its fingerprint changed (or the file is missing) and removes the
files the previous run wrote that are no longer wanted. Files the mirror did not write are
never touched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST_NAME = ".parley-mirror.json"
FORMAT = 1


class MirrorError(Exception):
    """The target directory cannot hold a mirror (explained for the operator)."""


@dataclass(slots=True)
class Manifest:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> fingerprint
    posts: dict[str, str] = field(default_factory=dict)  # post id -> stamp
    profiles: dict[str, str] = field(default_factory=dict)  # username -> stamp
    instance: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "instance": self.instance,
            "files": dict(sorted(self.files.items())),
            "posts": self.posts,
            "profiles": self.profiles,
        }


def check_target(root: Path) -> None:
    """Refuse a target that is a file or cannot be written, before any work is done."""
    if root.exists() and not root.is_dir():
        raise MirrorError(f"{root} is not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MirrorError(f"cannot create {root}: {exc.strerror or exc}") from exc
    if not os.access(root, os.W_OK | os.X_OK):
        raise MirrorError(f"{root} is not writable")


def load_manifest(root: Path, instance: str) -> Manifest:
    """The previous run's manifest; empty for a new directory.

    A manifest from another instance, or one that cannot be read, is refused: the mirror
    would otherwise delete files it does not own.
    """
    path = root / MANIFEST_NAME
    if not path.exists():
        return Manifest(instance=instance)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("unknown format")
        manifest = Manifest(
            files={str(k): str(v) for k, v in data["files"].items()},
            posts={str(k): str(v) for k, v in data.get("posts", {}).items()},
            profiles={str(k): str(v) for k, v in data.get("profiles", {}).items()},
            instance=str(data.get("instance", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MirrorError(f"{path} is damaged ({exc}); remove it to render from scratch") from exc
    if manifest.instance and manifest.instance != instance:
        raise MirrorError(
            f"{root} holds a mirror of {manifest.instance}, not {instance}; use another directory"
        )
    for name in manifest.files:
        safe_path(root, name)
    return manifest


def open_target(root: Path, instance: str) -> tuple[Path, Manifest]:
    """The target as an absolute path, checked, with its manifest."""
    root = root.resolve()
    check_target(root)
    return root, load_manifest(root, instance)


def safe_path(root: Path, relative: str) -> Path:
    """`root/relative`, refusing anything that would land outside the mirror."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise MirrorError(f"refusing path outside the mirror: {relative!r}")
    return root.joinpath(*pure.parts)


def write_atomic(path: Path, data: bytes) -> None:
    """Write then rename, so a static server never serves half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def save_manifest(root: Path, manifest: Manifest) -> None:
    data = json.dumps(manifest.to_json(), indent=1, sort_keys=False).encode()
    write_atomic(root / MANIFEST_NAME, data)


def remove_file(root: Path, relative: str) -> bool:
    """Remove one mirror file and any directories it leaves empty; True if it existed."""
    path = safe_path(root, relative)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    parent = path.parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return True
