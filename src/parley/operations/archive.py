"""The archive format: one zip file holding a whole instance, with a manifest of checksums.

    manifest.json            what the archive holds: format, schema revision, tables (load
                             order, columns, row counts), media, and every other member's
                             SHA-256 and size
    database/<table>.jsonl   a header line, then one JSON array per row (see codec.py)
    media/<key>              the local media folder's files, stored as they are
    instance/config.json     the non-secret settings of the instance that made it

Zip because its central directory lets a restore read the manifest first and check every
member before touching anything; members are written as a stream (no temporary copies), the
table dumps deflated at level 1 (JSON compresses 5-10x; level 1 keeps it fast), media stored
as is (already compressed). The file is written as `<name>.part` and renamed when complete,
so a failed backup never leaves something that looks like an archive.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from parley.operations.errors import DamagedArchive, ForeignArchive, IncompatibleArchive
from parley.operations.progress import Reporter

FORMAT = "parley-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONFIG = "instance/config.json"
DATABASE = "database/"
MEDIA = "media/"
CHUNK = 1 << 20

_TABLE_MEMBER = re.compile(r"database/[a-z][a-z0-9_]{0,62}\.jsonl")
_MEDIA_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
# Errors zipfile and zlib raise on bytes that are not what the zip says they are.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError)


def table_member(table: str) -> str:
    return f"{DATABASE}{table}.jsonl"


def is_safe_media_path(relative: str) -> bool:
    """A relative path of plain names: nothing that could climb out of the media folder."""
    parts = relative.split("/")
    return 0 < len(parts) <= 8 and all(_MEDIA_PART.fullmatch(part) for part in parts)


def is_safe_member(name: str) -> bool:
    if name in (MANIFEST, CONFIG) or _TABLE_MEMBER.fullmatch(name):
        return True
    return name.startswith(MEDIA) and is_safe_media_path(name.removeprefix(MEDIA))


@dataclass(frozen=True, slots=True)
class Member:
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class TableDump:
    name: str
    columns: list[str]
    rows: int


@dataclass(slots=True)
class Manifest:
    created_at: str
    parley_version: str
    source_engine: str
    schema_revision: str
    domain: str
    tables: list[TableDump]
    media: dict[str, Any]
    actor_keys: int
    members: dict[str, Member] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": self.created_at,
                "parley_version": self.parley_version,
                "source_engine": self.source_engine,
                "schema_revision": self.schema_revision,
                "domain": self.domain,
                "tables": [
                    {"name": t.name, "columns": t.columns, "rows": t.rows} for t in self.tables
                ],
                "media": self.media,
                "actor_keys": self.actor_keys,
                "members": {
                    name: {"sha256": m.sha256, "size": m.size}
                    for name, m in sorted(self.members.items())
                },
            },
            option=orjson.OPT_INDENT_2,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise DamagedArchive(f"the manifest is not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ForeignArchive("not a Parley archive: its manifest is not a Parley manifest")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise IncompatibleArchive(
                f"the archive's format version {version!r} is newer than this Parley reads "
                f"({FORMAT_VERSION}): upgrade Parley, then restore"
            )
        try:
            return cls(
                created_at=str(data["created_at"]),
                parley_version=str(data["parley_version"]),
                source_engine=str(data["source_engine"]),
                schema_revision=str(data["schema_revision"]),
                domain=str(data["domain"]),
                tables=[
                    TableDump(str(t["name"]), [str(c) for c in t["columns"]], int(t["rows"]))
                    for t in data["tables"]
                ],
                media=dict(data["media"]),
                actor_keys=int(data["actor_keys"]),
                members={
                    str(name): Member(str(m["sha256"]), int(m["size"]))
                    for name, m in data["members"].items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DamagedArchive(f"the manifest is incomplete or malformed ({exc!r})") from exc


class Sink:
    """A member being written: counts and hashes what goes through."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.target.write(data)
        self.hash.update(data)
        self.size += len(data)


class ArchiveWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.zip = zipfile.ZipFile(
            self.part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
        )
        self.members: dict[str, Member] = {}
        self.size = 0

    @contextmanager
    def member(self, name: str, *, compress: bool, mtime: float | None = None) -> Iterator[Sink]:
        if not is_safe_member(name) or name == MANIFEST or name in self.members:
            raise ValueError(f"bad archive member name {name!r}")
        # A name takes the zip's own compression (deflate, level 1); a ZipInfo is stored.
        info: str | zipfile.ZipInfo = name
        if not compress:
            info = zipfile.ZipInfo(name, _zip_time(mtime))
            info.compress_type = zipfile.ZIP_STORED
        with self.zip.open(info, "w", force_zip64=True) as target:
            sink = Sink(target)
            yield sink
        self.members[name] = Member(sink.hash.hexdigest(), sink.size)

    def finish(self, manifest: Manifest) -> None:
        manifest.members = dict(self.members)
        self.zip.writestr(zipfile.ZipInfo(MANIFEST, _zip_time(None)), manifest.to_json())
        self.zip.close()
        with open(self.part, "rb") as written:
            os.fsync(written.fileno())
        os.replace(self.part, self.path)
        self.size = self.path.stat().st_size

    def abort(self) -> None:
        with suppress(Exception):
            self.zip.close()
        self.part.unlink(missing_ok=True)


def _zip_time(mtime: float | None) -> tuple[int, int, int, int, int, int]:
    import time

    stamp = time.gmtime(mtime)
    if stamp.tm_year < 1980:  # the oldest date a zip can hold
        return (1980, 1, 1, 0, 0, 0)
    return (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min,
            stamp.tm_sec)  # fmt: skip


class HashingReader:
    """Reads a member while hashing it; `check()` after the last read compares with the
    manifest, so bytes that changed since verification are caught before anything commits."""

    def __init__(self, name: str, stream: IO[bytes], expected: Member) -> None:
        self.name = name
        self.stream = stream
        self.expected = expected
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = CHUNK) -> bytes:
        try:
            data = self.stream.read(size)
        except READ_ERRORS as exc:
            raise DamagedArchive(f"archive member {self.name} cannot be read ({exc})") from exc
        self.hash.update(data)
        self.size += len(data)
        return data

    def lines(self) -> Iterator[bytes]:
        """The member's lines, without their newlines, read in large chunks."""
        rest = b""
        while chunk := self.read():
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest:
            yield rest

    def check(self) -> None:
        if self.size != self.expected.size or self.hash.hexdigest() != self.expected.sha256:
            raise DamagedArchive(
                f"archive member {self.name} does not match its checksum in the manifest"
            )


class ArchiveReader:
    """An archive opened for restore: foreign or unreadable files are refused on opening."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as raw:
                magic = raw.read(4)
        except OSError as exc:
            raise ForeignArchive(f"cannot read {path}: {exc.strerror}") from exc
        if magic != b"PK\x03\x04":
            raise ForeignArchive(f"{path} is not a Parley archive (not a zip file)")
        try:
            self.zip = zipfile.ZipFile(path)
            names = self.zip.namelist()
        except READ_ERRORS as exc:
            raise DamagedArchive(f"{path} is damaged or truncated ({exc})") from exc
        if MANIFEST not in names:
            self.zip.close()
            raise ForeignArchive(f"{path} is not a Parley archive (no {MANIFEST})")
        try:
            self.manifest = Manifest.from_json(self.zip.read(MANIFEST))
        except READ_ERRORS as exc:
            self.zip.close()
            raise DamagedArchive(f"the manifest of {path} cannot be read ({exc})") from exc
        except BaseException:
            self.zip.close()
            raise
        self._names = names

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def verify(self, progress: Reporter) -> None:
        """Check the archive against its manifest: every member there, nothing else, every
        byte as hashed at backup time. Raises DamagedArchive."""
        members = self.manifest.members
        if len(set(self._names)) != len(self._names):
            raise DamagedArchive("the archive holds two members with the same name")
        unsafe = [name for name in self._names if not is_safe_member(name)]
        if unsafe:
            raise DamagedArchive(f"the archive holds a member with an unsafe name: {unsafe[0]!r}")
        extra = set(self._names) - set(members) - {MANIFEST}
        if extra:
            raise DamagedArchive(f"the archive holds {min(extra)}, which its manifest omits")
        missing = set(members) - set(self._names)
        if missing:
            raise DamagedArchive(f"the archive lacks {min(missing)} (truncated or edited?)")
        dumped = {table_member(t.name) for t in self.manifest.tables}
        if not dumped <= set(members):
            raise DamagedArchive("the manifest lists a table whose dump is not in the archive")
        rows = {table_member(t.name): t.rows for t in self.manifest.tables}
        progress.stage("Verifying checksums", sum(m.size for m in members.values()), unit="bytes")
        for name in sorted(members):
            lines = 0
            with self.open(name) as reader:
                while data := reader.read():
                    lines += data.count(b"\n")
                    progress.advance(len(data))
                reader.check()
            # A header line, then one line per row.
            if name in rows and lines != rows[name] + 1:
                raise DamagedArchive(
                    f"{name} holds {lines - 1} rows, its manifest says {rows[name]}"
                )

    @contextmanager
    def open(self, name: str) -> Iterator[HashingReader]:
        try:
            stream = self.zip.open(name)
        except READ_ERRORS as exc:
            raise DamagedArchive(f"archive member {name} cannot be read ({exc})") from exc
        with stream:
            yield HashingReader(name, stream, self.manifest.members[name])
