"""`parley backup` / `parley restore`: whole instances across engines, and archives that must
be refused without touching the target."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import tarfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text, update

from parley.app import create_app
from parley.cli import main
from parley.domain.accounts.models import Account
from parley.domain.federation.models import InstanceKey
from parley.domain.federation.service import INSTANCE_KEY, get_instance_key
from parley.domain.instance import service as instance_service
from parley.domain.posts.models import Post
from parley.operations import commands
from parley.operations.backup import backup
from parley.operations.errors import IncompatibleArchive, OperationRefused, TargetNotEmpty
from parley.operations.progress import Silent
from parley.operations.restore import restore
from parley.operations.snapshot import snapshot
from parley.runtime import Runtime
from tests.fixtures.media import jpeg_with_gps
from tests.integration.operations.conftest import (
    DOMAIN,
    Engines,
    Instance,
    instance_settings,
    media_tree,
    table_rows,
)

pytestmark = pytest.mark.postgres


async def populate(instance: Instance) -> dict[str, Any]:
    """A small instance made through the Mastodon API: members, a post with a picture, a
    follow, a reply, an upvote, an echo, a bookmark; instance settings, a rule, the instance
    actor's key; and a post pointing at a later post (as imported history can)."""
    api = instance.api
    alice = await api.member("alice")
    bob = await api.member("bob")
    picture = {"file": ("photo.jpg", jpeg_with_gps(64, 48), "image/jpeg")}
    media = await api.call("POST", "/api/v2/media", alice, files=picture)
    status = await api.call(
        "POST", "/api/v1/statuses", alice,
        json={"status": "Moving day #move", "media_ids": [media["id"]]},
    )  # fmt: skip
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", bob)
    reply = await api.call(
        "POST", "/api/v1/statuses", bob,
        json={"status": "@alice good luck", "in_reply_to_id": status["id"]},
    )  # fmt: skip
    for act in ("favourite", "reblog", "bookmark"):
        await api.call("POST", f"/api/v1/statuses/{status['id']}/{act}", bob)
    async with instance.runtime.db.transaction() as session:
        await instance_service.update_instance_info(session, name="Moving day")
        await instance_service.add_rule(session, text="Be kind")
        await get_instance_key(session)
        await session.execute(
            update(Post).where(Post.id == int(status["id"])).values(quote_of_id=int(reply["id"]))
        )
    return {"alice": alice, "bob": bob, "status": status, "media": media}


def target_url(engines: Engines, kind: str, folder: Path) -> str:
    """SQLite: a file that does not exist yet (the restore creates the schema); PostgreSQL: an
    empty, migrated database, as `parley migrate` leaves one."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'restored.db'}"
    return engines[kind].fresh(folder)


@pytest.mark.parametrize(
    ("source", "target_kind"),
    [
        ("sqlite", "sqlite"),
        ("sqlite", "postgresql"),
        ("postgresql", "sqlite"),
        ("postgresql", "postgresql"),
    ],
    indirect=["source"],
)
async def test_round_trip_keeps_every_row_every_file_and_every_key(
    source: Instance, target_kind: str, engines: Engines, tmp_path: Path
) -> None:
    made = await populate(source)
    archive = tmp_path / "instance.zip"
    report = await backup(source.settings, archive)
    assert report.rows > 0
    assert report.media_files >= 1
    assert report.actor_keys == 3  # alice, bob, the instance actor

    url = target_url(engines, target_kind, tmp_path / "target")
    settings = instance_settings(url, tmp_path / "target")
    restored = await restore(settings, archive)
    assert restored.rows == report.rows

    before, after = await table_rows(source.settings.database_url), await table_rows(url)
    assert before.keys() == after.keys()
    for table, rows in before.items():
        assert after[table] == rows, table
    assert before["posts"]
    assert before["media_attachments"]
    assert before["follows"]
    assert media_tree(settings.media_dir) == media_tree(source.settings.media_dir)
    assert media_tree(settings.media_dir)

    # The restored instance serves the same member with the same key, the same post with
    # its picture, to the same token.
    app = create_app(settings, run_worker=False)
    runtime: Runtime = app.state.runtime
    try:
        async with runtime.db.reader() as session:
            alice = await session.scalar(select(Account).where(Account.username == "alice"))
            instance_key = await session.get(InstanceKey, INSTANCE_KEY)
        async with source.runtime.db.reader() as session:
            original = await session.scalar(select(Account).where(Account.username == "alice"))
            original_key = await session.get(InstanceKey, INSTANCE_KEY)
        assert alice is not None
        assert original is not None
        assert alice.private_key_pem is not None
        assert alice.private_key_pem == original.private_key_pem
        assert instance_key is not None
        assert original_key is not None
        assert instance_key.private_key_pem == original_key.private_key_pem
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as http:
            status_id = made["status"]["id"]
            answer = await http.get(f"/api/v1/statuses/{status_id}", headers=made["alice"].headers)
            assert answer.status_code == 200, answer.text
            picture_url = answer.json()["media_attachments"][0]["url"]
            picture = await http.get(picture_url)
            assert picture.status_code == 200
            me = await http.get("/api/v1/accounts/verify_credentials", headers=made["bob"].headers)
            assert me.json()["following_count"] == 1
    finally:
        await runtime.db.dispose()
        if target_kind == "postgresql":
            engines[target_kind].release(url)


# --- the command line ---------------------------------------------------------------------


def environment(settings_url: str, folder: Path, domain: str = DOMAIN) -> dict[str, str]:
    return {
        "PARLEY_DATABASE_URL": settings_url,
        "PARLEY_DATA_DIR": str(folder),
        "PARLEY_MEDIA_DIR": str(folder / "media"),
        "PARLEY_DOMAIN": domain,
        "PARLEY_SECRET_KEY": "test-secret-key-not-for-production",
    }


def run(env: dict[str, str], *args: str) -> Result:
    """`parley ARGS` with the environment `env`, in a thread of its own: the command runs its
    own event loop, which the async tests' running loop would forbid."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(
            CliRunner().invoke, main, list(args), env=env, catch_exceptions=False
        ).result()


@pytest.fixture
async def archive(source: Instance, tmp_path: Path) -> Path:
    """A sound archive of a populated SQLite instance, made by `parley backup`."""
    await populate(source)
    path = tmp_path / "good.zip"
    folder = source.settings.data_dir
    result = run(environment(source.settings.database_url, folder), "backup", str(path))
    assert result.exit_code == 0, result.output
    assert "actor keys" in result.output
    assert "PARLEY_SECRET_KEY" in result.output
    return path


def test_the_commands_are_parley_subcommands() -> None:
    assert main.commands["backup"] is commands.backup
    assert main.commands["restore"] is commands.restore


async def test_cli_restore_rebuilds_the_instance_and_says_what_to_carry_over(
    archive: Path, source: Instance, tmp_path: Path
) -> None:
    folder = tmp_path / "new-host"
    folder.mkdir()
    url = f"sqlite+aiosqlite:///{folder / 'parley.db'}"
    result = run(environment(url, folder), "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert f"Restored {DOMAIN}" in result.output
    assert "PARLEY_SECRET_KEY" in result.output
    assert await table_rows(url) == await table_rows(source.settings.database_url)
    assert media_tree(folder / "media") == media_tree(source.settings.media_dir)


def restore_on_new_host(archive: Path, tmp_path: Path) -> tuple[Result, Path]:
    """`parley restore ARCHIVE` into a new folder with a new SQLite database file."""
    folder = tmp_path / "new-host"
    folder.mkdir()
    database = folder / "parley.db"
    return run(
        environment(f"sqlite+aiosqlite:///{database}", folder), "restore", str(archive)
    ), folder


def _rewrite(
    archive: Path,
    target: Path,
    *,
    manifest: Callable[[dict[str, Any]], None] = lambda _m: None,
    extra: dict[str, bytes] | None = None,
    replace: dict[str, bytes] | None = None,
) -> Path:
    """A copy of `archive` with its manifest edited, members replaced and members added."""
    replace = replace or {}
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename != "manifest.json":
                new.writestr(info, replace.get(info.filename) or old.read(info))
        data = orjson.loads(old.read("manifest.json"))
        manifest(data)
        for name, content in (extra or {}).items():
            new.writestr(name, content)
        new.writestr("manifest.json", orjson.dumps(data))
    return target


def _data_offset(archive: Path, name: str) -> tuple[int, int]:
    """Where a member's bytes start in the file, and how many there are."""
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(name)
    with open(archive, "rb") as raw:
        raw.seek(info.header_offset + 26)
        name_length = int.from_bytes(raw.read(2), "little")
        extra_length = int.from_bytes(raw.read(2), "little")
    return info.header_offset + 30 + name_length + extra_length, info.compress_size


def flip_byte_in(member: str) -> Callable[[Path, Path], Path]:
    def damage(archive: Path, target: Path) -> Path:
        data = bytearray(archive.read_bytes())
        start, size = _data_offset(archive, member)
        data[start + size // 2] ^= 0x01
        target.write_bytes(bytes(data))
        return target

    return damage


def truncated(archive: Path, target: Path) -> Path:
    target.write_bytes(archive.read_bytes()[: archive.stat().st_size * 6 // 10])
    return target


def foreign_zip(_archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as other:
        other.writestr("hello.txt", "not a backup")
    return target


def foreign_tar(_archive: Path, target: Path) -> Path:
    with tarfile.open(target, "w") as other:
        data = b"not a backup"
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        other.addfile(info, io.BytesIO(data))
    return target


def wrong_checksum(archive: Path, target: Path) -> Path:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["members"]["database/posts.jsonl"]["sha256"] = "0" * 64

    return _rewrite(archive, target, manifest=edit)


def wrong_row_count(archive: Path, target: Path) -> Path:
    def edit(manifest: dict[str, Any]) -> None:
        for table in manifest["tables"]:
            if table["name"] == "posts":
                table["rows"] += 1

    return _rewrite(archive, target, manifest=edit)


def unlisted_member(archive: Path, target: Path) -> Path:
    return _rewrite(archive, target, extra={"media/attachments/1/planted.webp": b"x"})


def climbing_member(archive: Path, target: Path) -> Path:
    payload = b"#!/bin/sh\n"

    def edit(manifest: dict[str, Any]) -> None:
        manifest["members"]["media/../../evil.sh"] = {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "size": len(payload),
        }

    return _rewrite(archive, target, manifest=edit, extra={"media/../../evil.sh": payload})


def newer_schema(archive: Path, target: Path) -> Path:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["schema_revision"] = "9999_from_the_future"

    return _rewrite(archive, target, manifest=edit)


def unknown_column(archive: Path, target: Path) -> Path:
    def edit(manifest: dict[str, Any]) -> None:
        manifest["tables"][0]["columns"].append("added_later")

    return _rewrite(archive, target, manifest=edit)


def missing_manifest_field(archive: Path, target: Path) -> Path:
    return _rewrite(archive, target, manifest=lambda m: m.pop("tables"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (flip_byte_in("database/posts.jsonl"), "database/posts.jsonl"),
        (flip_byte_in("database/accounts.jsonl"), "database/accounts.jsonl"),
        (flip_byte_in("manifest.json"), "manifest"),
        (truncated, "damaged or truncated"),
        (foreign_zip, "not a Parley archive"),
        (foreign_tar, "not a Parley archive (not a zip file)"),
        (wrong_checksum, "does not match its checksum"),
        (wrong_row_count, "its manifest says"),
        (unlisted_member, "which its manifest omits"),
        (climbing_member, "unsafe name"),
        (newer_schema, "newer Parley"),
        (unknown_column, "newer Parley"),
        (missing_manifest_field, "manifest is incomplete"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_bad_archive_is_refused_and_the_target_is_untouched(
    archive: Path, tmp_path: Path, damage: Callable[[Path, Path], Path], message: str
) -> None:
    result, folder = restore_on_new_host(damage(archive, tmp_path / "bad.zip"), tmp_path)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(folder.iterdir()) == []  # no database file made, no media folder


def test_restore_of_a_missing_file_says_so(tmp_path: Path) -> None:
    result = run(environment("sqlite+aiosqlite:///x.db", tmp_path), "restore", "nope.zip")
    assert result.exit_code == 1
    assert "cannot read nope.zip" in result.output


async def test_a_target_that_holds_an_instance_is_refused_unless_forced(
    archive: Path, source: Instance, tmp_path: Path
) -> None:
    before = await table_rows(source.settings.database_url)
    env = environment(source.settings.database_url, source.settings.data_dir)
    media_before = media_tree(source.settings.media_dir)
    refused = run(env, "restore", str(archive))
    assert refused.exit_code == 1
    assert "already hold an instance" in refused.output
    assert "--force" in refused.output
    assert await table_rows(source.settings.database_url) == before

    # Add a member after the backup: --force brings the instance back to the archive's state,
    # and keeps the media folder it replaced aside.
    await source.api.member("carol")
    forced = run(env, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert "is now" in forced.output
    assert await table_rows(source.settings.database_url) == before
    assert media_tree(source.settings.media_dir) == media_before
    aside = list(source.settings.data_dir.glob("media.before-restore-*"))
    assert len(aside) == 1
    assert media_tree(aside[0]) == media_before


async def test_another_domain_is_refused(archive: Path, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    database = folder / "parley.db"
    env = environment(f"sqlite+aiosqlite:///{database}", folder, domain="other.example")
    result = run(env, "restore", str(archive))
    assert result.exit_code == 1
    assert f"PARLEY_DOMAIN={DOMAIN}" in result.output
    assert not database.exists()


def test_backup_refuses_to_overwrite_and_leaves_no_partial_file(
    archive: Path, source: Instance
) -> None:
    size = archive.stat().st_size
    env = environment(source.settings.database_url, source.settings.data_dir)
    result = run(env, "backup", str(archive))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert archive.stat().st_size == size
    result = run(env, "backup", str(archive.parent / "no-such-folder" / "x.zip"))
    assert result.exit_code == 1
    assert "is not a folder" in result.output
    assert not list(archive.parent.glob("*.part"))


def test_backup_of_a_database_without_schema_is_refused(tmp_path: Path) -> None:
    env = environment(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", tmp_path)
    result = run(env, "backup", str(tmp_path / "x.zip"))
    assert result.exit_code == 1
    assert "no schema" in result.output
    assert not (tmp_path / "x.zip").exists()
    assert not (tmp_path / "x.zip.part").exists()


@pytest.mark.parametrize("source", ["sqlite"], indirect=True)
async def test_backup_is_one_snapshot_while_the_instance_keeps_writing(
    source: Instance, tmp_path: Path
) -> None:
    """A rule added while the backup runs (SQLite, from another connection) is not in it:
    every table is read as of the same moment."""
    await populate(source)
    database = source.settings.database_url.removeprefix("sqlite+aiosqlite:///")

    class WriteDuringBackup(Silent):
        written = False

        def advance(self, amount: int) -> None:
            if not self.written:
                self.written = True
                with sqlite3.connect(database) as connection:
                    connection.execute(
                        "INSERT INTO rules (id, text, hint, position, created_at) "
                        "VALUES (1, 'late', '', 99, '2026-11-23 00:00:00.000000')"
                    )

    archive = tmp_path / "during.zip"
    progress = WriteDuringBackup()
    await backup(source.settings, archive, progress=progress)
    assert progress.written
    with zipfile.ZipFile(archive) as opened:
        rules = opened.read("database/rules.jsonl").splitlines()
    assert len(rules) == 2  # the header and the rule populate() added
    assert b"late" not in b"".join(rules)


async def test_restore_refuses_when_rows_exist_even_if_media_is_empty(
    archive: Path, source: Instance
) -> None:
    elsewhere = source.settings.model_copy(update={"media_dir": Path("/nonexistent")})
    with pytest.raises(TargetNotEmpty, match="tables"):
        await restore(elsewhere, archive)


def duplicated_rule(archive: Path, target: Path) -> Path:
    """A consistent archive (checksums, counts) whose rules table holds one row twice: only
    the database can refuse it, halfway through the load."""
    with zipfile.ZipFile(archive) as opened:
        lines = opened.read("database/rules.jsonl").splitlines()
    doubled = b"\n".join([*lines, lines[1]]) + b"\n"

    def edit(manifest: dict[str, Any]) -> None:
        manifest["members"]["database/rules.jsonl"] = {
            "sha256": hashlib.sha256(doubled).hexdigest(),
            "size": len(doubled),
        }
        for table in manifest["tables"]:
            if table["name"] == "rules":
                table["rows"] += 1

    return _rewrite(archive, target, manifest=edit, replace={"database/rules.jsonl": doubled})


def test_a_load_that_fails_halfway_leaves_no_schema_no_rows_and_no_media(
    archive: Path, tmp_path: Path
) -> None:
    result, folder = restore_on_new_host(duplicated_rule(archive, tmp_path / "bad.zip"), tmp_path)
    assert result.exit_code == 1, result.output
    assert "database error" in result.output
    assert "UNIQUE" in result.output
    # The schema was created in the same transaction as the rows: both rolled back.
    with sqlite3.connect(folder / "parley.db") as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == []
    assert not (folder / "media").exists()
    assert [p.name for p in folder.iterdir() if not p.name.startswith("parley.db")] == []


async def test_a_load_that_fails_halfway_on_postgresql_leaves_no_rows(
    archive: Path, engines: Engines, tmp_path: Path
) -> None:
    bad = duplicated_rule(archive, tmp_path / "bad.zip")
    url = target_url(engines, "postgresql", tmp_path / "pg-target")
    settings = instance_settings(url, tmp_path / "pg-target")
    try:
        with pytest.raises(OperationRefused, match="refused a row of rules"):
            await restore(settings, bad)
        rows = await table_rows(url)
        assert {table: found for table, found in rows.items() if found} == {}
        assert not settings.media_dir.exists()
    finally:
        engines["postgresql"].release(url)


async def test_no_secret_goes_into_the_archive(source: Instance, tmp_path: Path) -> None:
    await populate(source)
    secrets = {
        "secret_key": "secret-key-d41d8cd98f00",
        "smtp_password": "smtp-password-9e107d9d372b",
        "s3_secret_key": "s3-secret-e4d909c290d0",
        "s3_access_key": "s3-access-0cc175b9c0f1",
    }
    settings = source.settings.model_copy(update=secrets)
    archive = tmp_path / "secrets.zip"
    await backup(settings, archive)
    with zipfile.ZipFile(archive) as opened:
        contents = b"".join(opened.read(name) for name in opened.namelist())
        config = orjson.loads(opened.read("instance/config.json"))
    for value in secrets.values():
        assert value.encode() not in contents
    assert "database_url" not in config
    assert config["domain"] == DOMAIN
    assert config["database_engine"] == source.settings.database_url.split("+")[0]


async def test_media_in_s3_stays_there_and_is_named_in_the_archive(
    source: Instance, tmp_path: Path
) -> None:
    await populate(source)
    in_s3 = source.settings.model_copy(
        update={"s3_bucket": "parley-media", "s3_endpoint_url": "https://s3.example"}
    )
    archive = tmp_path / "s3.zip"
    report = await backup(in_s3, archive)
    assert report.media_files == 0
    with zipfile.ZipFile(archive) as opened:
        manifest = orjson.loads(opened.read("manifest.json"))
        assert not [n for n in opened.namelist() if n.startswith("media/")]
    assert manifest["media"]["store"] == "s3"
    assert manifest["media"]["bucket"] == "parley-media"

    target = instance_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'new' / 'parley.db'}", tmp_path / "new"
    )
    restored = await restore(target, archive)
    assert any("S3 bucket 'parley-media'" in note for note in restored.notes)


async def test_local_media_is_not_restored_into_an_instance_that_uses_s3(
    archive: Path, tmp_path: Path
) -> None:
    target = instance_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'new' / 'parley.db'}",
        tmp_path / "new",
        s3_bucket="parley-media",
    )
    with pytest.raises(IncompatibleArchive, match="stores media in S3"):
        await restore(target, archive)
    assert not (tmp_path / "new" / "parley.db").exists()


async def test_the_postgresql_snapshot_is_repeatable_read_and_read_only(
    engines: Engines, tmp_path: Path
) -> None:
    url = engines["postgresql"].fresh(tmp_path)
    try:
        async with snapshot(url) as connection:
            isolation = await connection.scalar(text("SHOW transaction_isolation"))
            read_only = await connection.scalar(text("SHOW transaction_read_only"))
    finally:
        engines["postgresql"].release(url)
    assert isolation == "repeatable read"
    assert read_only == "on"
