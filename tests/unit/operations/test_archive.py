"""Archive member names and manifests: nothing in an archive can climb out of its folders."""

from __future__ import annotations

import pytest

from parley.operations.archive import Manifest, TableDump, is_safe_member
from parley.operations.errors import DamagedArchive, ForeignArchive, IncompatibleArchive


@pytest.mark.parametrize(
    "name",
    [
        "manifest.json",
        "instance/config.json",
        "database/posts.jsonl",
        "media/attachments/123/photo_0a1b.webp",
        "media/cache/9/x",
    ],
)
def test_names_the_backup_writes_are_safe(name: str) -> None:
    assert is_safe_member(name)


@pytest.mark.parametrize(
    "name",
    [
        "media/../../etc/passwd",
        "media/attachments/../../x",
        "media//x",
        "media/.hidden",
        "/etc/passwd",
        "media/",
        "database/../posts.jsonl",
        "database/Posts.jsonl",
        "instance/other.json",
        "media/a\\b",
        "media/" + "/".join(["d"] * 9),
    ],
)
def test_names_that_could_escape_or_that_we_never_write_are_refused(name: str) -> None:
    assert not is_safe_member(name)


def manifest_json(**changes: object) -> bytes:
    manifest = Manifest(
        created_at="2026-11-23T00:00:00+00:00",
        parley_version="0.1.0",
        source_engine="sqlite",
        schema_revision="0001",
        domain="parley.test",
        tables=[TableDump("rules", ["id", "text"], 1)],
        media={"store": "local", "files": 0, "bytes": 0},
        actor_keys=0,
    )
    import orjson

    data = orjson.loads(manifest.to_json())
    data.update(changes)
    return orjson.dumps(data)


def test_a_manifest_reads_back() -> None:
    manifest = Manifest.from_json(manifest_json())
    assert manifest.tables == [TableDump("rules", ["id", "text"], 1)]
    assert manifest.domain == "parley.test"


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (b"{not json", DamagedArchive, "not valid JSON"),
        (b"[]", ForeignArchive, "not a Parley manifest"),
        (manifest_json(format="other-tool"), ForeignArchive, "not a Parley manifest"),
        (manifest_json(format_version=2), IncompatibleArchive, "newer than this Parley"),
        (manifest_json(tables="x"), DamagedArchive, "incomplete or malformed"),
        (manifest_json(members=[1]), DamagedArchive, "incomplete or malformed"),
    ],
)
def test_bad_manifests_are_refused_with_a_reason(
    raw: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Manifest.from_json(raw)
