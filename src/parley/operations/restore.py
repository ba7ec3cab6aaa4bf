"""`parley restore`: rebuild an instance from an archive, on a fresh database and media folder.

The order is what keeps a bad archive from doing harm:
1. read the manifest (a file that is not a Parley archive stops here), refuse a newer schema
   or another domain;
2. check every member against its SHA-256 (a flipped byte or a truncated file stops here);
3. refuse a target that already holds an instance, unless --force;
4. only then touch the target: migrate the schema, unpack the media into a temporary folder
   beside the media folder, load every row in ONE transaction, move the media folder into
   place, commit. Any failure rolls the rows back and removes the unpacked media.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import inspect, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.config import Settings
from parley.db.base import Base
from parley.operations.archive import CONFIG, MEDIA, ArchiveReader, Manifest
from parley.operations.backup import public_settings
from parley.operations.errors import DamagedArchive, IncompatibleArchive, TargetNotEmpty
from parley.operations.load import Fixups, empty_tables, load_table, reset_sequences
from parley.operations.progress import Reporter, Silent
from parley.operations.schema import (
    check_loadable,
    migrate_in_transaction,
    tables_in_load_order,
)
from parley.operations.snapshot import transactional_engine

# Settings worth a word when the new host's differ from the old one's (paths differ anyway).
COMPARED_SETTINGS = (
    "scheme", "media_base_url", "s3_bucket", "s3_endpoint_url", "s3_region", "smtp_host",
    "smtp_port", "smtp_user", "smtp_from", "max_post_chars_default", "media_max_image_bytes",
    "media_max_video_bytes", "media_remote_max_bytes", "session_max_age_days",
)  # fmt: skip


@dataclass(slots=True)
class RestoreReport:
    tables: int
    rows: int
    media_files: int
    media_bytes: int
    actor_keys: int
    seconds: float
    manifest: Manifest
    notes: list[str] = field(default_factory=list)
    replaced_media: Path | None = None


async def _tables_with_rows(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        existing = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        busy = []
        for table in tables_in_load_order():
            if table.name in existing:
                found = await connection.scalar(select(literal(1)).select_from(table).limit(1))
                if found is not None:
                    busy.append(table.name)
        return busy


def _media_in_use(media_dir: Path) -> bool:
    return media_dir.exists() and (not media_dir.is_dir() or any(media_dir.iterdir()))


def _refuse_if_in_use(tables_with_rows: list[str], settings: Settings) -> None:
    where = []
    if tables_with_rows:
        named = ", ".join(tables_with_rows[:5]) + ("..." if len(tables_with_rows) > 5 else "")
        where.append(f"the database (tables {named})")
    if not settings.s3_bucket and _media_in_use(settings.media_dir):
        where.append(f"the media folder {settings.media_dir}")
    if where:
        raise TargetNotEmpty(
            f"{' and '.join(where)} already hold an instance: restore into an empty "
            "database and media folder, or pass --force to replace what is there"
        )


def _check_archive(reader: ArchiveReader, settings: Settings, allow_domain_change: bool) -> None:
    manifest = reader.manifest
    check_loadable(manifest.schema_revision, manifest.tables)
    if manifest.domain != settings.domain and not allow_domain_change:
        raise IncompatibleArchive(
            f"the archive is of {manifest.domain}, this instance is configured as "
            f"{settings.domain}: set PARLEY_DOMAIN={manifest.domain} (actors, keys and every "
            "link belong to the domain), or pass --allow-domain-change for an inspection copy"
        )
    if (
        manifest.media.get("store") == "local"
        and manifest.media.get("files")
        and (settings.s3_bucket)
    ):
        raise IncompatibleArchive(
            "the archive holds local media files but this instance stores media in S3: "
            "restore with local media (unset PARLEY_S3_BUCKET), then copy the media folder "
            "into the bucket"
        )


def _unpack_media(reader: ArchiveReader, into: Path, progress: Reporter) -> tuple[int, int]:
    names = sorted(name for name in reader.manifest.members if name.startswith(MEDIA))
    progress.stage("Media files", sum(reader.manifest.members[n].size for n in names), unit="bytes")
    total = 0
    for name in names:
        target = into / name.removeprefix(MEDIA)
        target.parent.mkdir(parents=True, exist_ok=True)
        with reader.open(name) as member, open(target, "xb") as out:
            while data := member.read():
                out.write(data)
                progress.advance(len(data))
            member.check()
        total += member.size
    return len(names), total


def _config_notes(reader: ArchiveReader, settings: Settings) -> list[str]:
    with reader.open(CONFIG) as member:
        raw = b"".join(iter(member.read, b""))
        member.check()
    try:
        old: dict[str, Any] = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DamagedArchive(f"{CONFIG} is not valid JSON") from exc
    new = public_settings(settings)
    notes = [
        f"PARLEY_{name.upper()} was {old[name]!r} on the old host and is {new.get(name)!r} here"
        for name in COMPARED_SETTINGS
        if name in old and old[name] != new.get(name)
    ]
    if reader.manifest.media.get("store") == "s3":
        notes.append(
            f"media stayed in the S3 bucket {reader.manifest.media.get('bucket')!r}: give this "
            "instance the same PARLEY_S3_* settings"
        )
    return notes


async def _load_all(
    connection: AsyncConnection, reader: ArchiveReader, force: bool, progress: Reporter
) -> int:
    tables = tables_in_load_order()
    position = {table.name: index for index, table in enumerate(tables)}
    dumps = {dump.name: dump for dump in reader.manifest.tables}
    if force:
        await empty_tables(connection, tables)
    progress.stage("Database rows", sum(d.rows for d in dumps.values()))
    fixups = Fixups()
    for table in tables:
        if table.name in dumps:
            # As pg_restore does: rows first, then each index built in one sort, instead of
            # growing every index row by row (still one transaction: a failure undoes all).
            indexes = list(table.indexes)
            for index in indexes:
                await connection.run_sync(index.drop)
            await load_table(
                connection, reader, table, dumps[table.name], position, fixups, progress
            )
            for index in indexes:
                await connection.run_sync(index.create)
    await fixups.apply(connection, dict(Base.metadata.tables))
    await reset_sequences(connection, tables)
    return sum(d.rows for d in dumps.values())


async def restore(
    settings: Settings,
    path: Path,
    *,
    progress: Reporter | None = None,
    force: bool = False,
    allow_domain_change: bool = False,
) -> RestoreReport:
    progress = progress or Silent()
    started = time.monotonic()
    with ArchiveReader(path) as reader:
        _check_archive(reader, settings, allow_domain_change)
        reader.verify(progress)
        notes = _config_notes(reader, settings)
        engine = transactional_engine(settings.database_url)
        try:
            if not force:
                _refuse_if_in_use(await _tables_with_rows(engine), settings)
            report = await _restore_into(engine, reader, settings, force, progress)
        finally:
            await engine.dispose()
    report.notes = notes
    report.seconds = time.monotonic() - started
    return report


async def _restore_into(
    engine: AsyncEngine,
    reader: ArchiveReader,
    settings: Settings,
    force: bool,
    progress: Reporter,
) -> RestoreReport:
    media_dir = settings.media_dir.absolute()
    staging = media_dir.parent / f".{media_dir.name}.restoring-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    aside: Path | None = None
    placed = False
    try:
        files, media_bytes = _unpack_media(reader, staging, progress)
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                if connection.dialect.name == "sqlite":
                    # Indexes grow in random order while rows go in: 2 MB of page cache (the
                    # default) makes that disk-bound; 256 MB keeps them in memory.
                    await connection.exec_driver_sql("PRAGMA cache_size = -262144")
                await migrate_in_transaction(connection)
                rows = await _load_all(connection, reader, force, progress)
                if not settings.s3_bucket:
                    if media_dir.exists():
                        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
                        aside = media_dir.with_name(f"{media_dir.name}.before-restore-{stamp}")
                        os.replace(media_dir, aside)
                    os.replace(staging, media_dir)
                    placed = True
                await transaction.commit()
            except BaseException:
                with suppress(Exception):
                    await transaction.rollback()
                raise
    except BaseException:
        if placed:
            os.replace(media_dir, staging)
        if aside is not None:
            os.replace(aside, media_dir)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if aside is not None and not any(aside.iterdir()):
        aside.rmdir()
        aside = None
    manifest = reader.manifest
    return RestoreReport(
        tables=len(manifest.tables),
        rows=rows,
        media_files=files,
        media_bytes=media_bytes,
        actor_keys=manifest.actor_keys,
        seconds=0.0,
        manifest=manifest,
        replaced_media=aside,
    )
