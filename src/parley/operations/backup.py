"""`parley backup`: the whole instance in one archive (see archive.py for the format).

What goes in: every table, read in one consistent snapshot and streamed row by row (never the
whole database in memory), so it loads into SQLite or PostgreSQL alike; the actors' keys,
which live in the database (accounts.private_key_pem, instance_keys); the admin-edited
instance settings, also in the database; the local media folder; a copy of the non-secret
configuration. What stays out: secrets (PARLEY_SECRET_KEY, passwords, S3 keys, the metrics
token, the database and Redis URLs) and media kept in S3, which stays where it is.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from parley import __version__
from parley.config import Settings
from parley.db.base import Base
from parley.db.engine import is_sqlite
from parley.domain.accounts.models import Account
from parley.domain.federation.models import InstanceKey
from parley.operations.archive import (
    CHUNK,
    CONFIG,
    MEDIA,
    ArchiveWriter,
    Manifest,
    TableDump,
    is_safe_media_path,
    table_member,
)
from parley.operations.codec import encode_row
from parley.operations.errors import OperationRefused
from parley.operations.progress import Reporter, Silent
from parley.operations.schema import current_revision, head_revision, tables_in_load_order
from parley.operations.snapshot import snapshot

BATCH = 5000
# Settings that hold secrets or credentials: never written into an archive.
SECRET_SETTINGS = frozenset(
    {
        "secret_key",
        "smtp_password",
        "s3_access_key",
        "s3_secret_key",
        "database_url",
        "redis_url",
        "metrics_token",
    }
)


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    size: int
    tables: int
    rows: int
    media_files: int
    media_bytes: int
    actor_keys: int
    seconds: float


def engine_name(database_url: str) -> str:
    return "sqlite" if is_sqlite(database_url) else "postgresql"


def public_settings(settings: Settings) -> dict[str, Any]:
    """The configuration an operator recreates on the new host, minus every secret."""
    data = settings.model_dump(mode="json", exclude=set(SECRET_SETTINGS))
    data["database_engine"] = engine_name(settings.database_url)
    data["redis"] = settings.redis_url is not None
    return data


def media_files(settings: Settings) -> list[tuple[str, Path, int]]:
    """(relative path, path, size) of every file in the local media folder; half-written
    `.part` files, links and names the store would never make are left out."""
    if settings.s3_bucket or not settings.media_dir.is_dir():
        return []
    found = []
    root = settings.media_dir
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not Path(folder, d).is_symlink())
        for name in sorted(files):
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if name.endswith(".part") or path.is_symlink() or not is_safe_media_path(relative):
                continue
            found.append((relative, path, path.stat().st_size))
    return found


def _check_destination(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise OperationRefused(f"{path} already exists (choose another name, or --overwrite)")
    if not path.parent.is_dir():
        raise OperationRefused(f"{path.parent} is not a folder")


async def _dump_table(
    connection: AsyncConnection, writer: ArchiveWriter, dump: TableDump, progress: Reporter
) -> int:
    table = Base.metadata.tables[dump.name]
    order = list(table.primary_key.columns) or list(table.c)
    rows = 0
    with writer.member(table_member(dump.name), compress=True) as sink:
        sink.write(orjson.dumps({"table": dump.name, "columns": dump.columns}) + b"\n")
        result = await connection.stream(
            select(table).order_by(*order).execution_options(yield_per=BATCH)
        )
        async for batch in result.partitions(BATCH):
            sink.write(b"".join(encode_row(row) + b"\n" for row in batch))
            rows += len(batch)
            progress.advance(len(batch))
    return rows


async def backup(
    settings: Settings, path: Path, *, progress: Reporter | None = None, overwrite: bool = False
) -> BackupReport:
    progress = progress or Silent()
    started = time.monotonic()
    _check_destination(path, overwrite)
    writer = ArchiveWriter(path)
    try:
        async with snapshot(settings.database_url) as connection:
            revision = await current_revision(connection)
            if revision is None:
                raise OperationRefused("the database has no schema: nothing to back up")
            if revision != head_revision():
                raise OperationRefused(
                    f"the database is at schema revision {revision!r}, this Parley at "
                    f"{head_revision()!r}: run `parley migrate` first"
                )
            tables = tables_in_load_order()
            dumps = []
            for table in tables:
                count = await connection.scalar(select(func.count()).select_from(table))
                dumps.append(TableDump(table.name, [c.name for c in table.c], int(count or 0)))
            keys = int(
                (
                    await connection.scalar(
                        select(func.count(Account.id)).where(Account.private_key_pem.is_not(None))
                    )
                )
                or 0
            ) + int(await connection.scalar(select(func.count()).select_from(InstanceKey)) or 0)
            progress.stage("Database rows", sum(d.rows for d in dumps))
            written = []
            for dump in dumps:
                rows = await _dump_table(connection, writer, dump, progress)
                # The snapshot cannot change under us; a difference is a bug worth stopping for.
                if rows != dump.rows:
                    raise OperationRefused(f"table {dump.name}: counted {dump.rows}, read {rows}")
                written.append(dump)
        files = media_files(settings)
        media_bytes = await _copy_media(writer, files, progress)
        with writer.member(CONFIG, compress=True) as sink:
            sink.write(orjson.dumps(public_settings(settings), option=orjson.OPT_INDENT_2))
        media: dict[str, Any] = {"store": "s3" if settings.s3_bucket else "local"}
        if settings.s3_bucket:
            media.update(bucket=settings.s3_bucket, endpoint=settings.s3_endpoint_url)
        media.update(files=len(files), bytes=media_bytes)
        writer.finish(
            Manifest(
                created_at=datetime.now(UTC).isoformat(),
                parley_version=__version__,
                source_engine=engine_name(settings.database_url),
                schema_revision=revision,
                domain=settings.domain,
                tables=written,
                media=media,
                actor_keys=keys,
            )
        )
    except BaseException:
        writer.abort()
        raise
    return BackupReport(
        path=path,
        size=writer.size,
        tables=len(written),
        rows=sum(d.rows for d in written),
        media_files=len(files),
        media_bytes=media_bytes,
        actor_keys=keys,
        seconds=time.monotonic() - started,
    )


async def _copy_media(
    writer: ArchiveWriter, files: list[tuple[str, Path, int]], progress: Reporter
) -> int:
    """Stream each file into the archive; one deleted since it was listed is skipped (the
    instance may still be running: a file removed now belongs to a removed attachment)."""

    progress.stage("Media files", sum(size for _, _, size in files), unit="bytes")
    total = 0

    def copy(relative: str, path: Path) -> int:
        try:
            source = open(path, "rb")  # noqa: SIM115  (closed below, in the same thread)
        except FileNotFoundError:
            return 0
        mtime = os.fstat(source.fileno()).st_mtime
        with source, writer.member(MEDIA + relative, compress=False, mtime=mtime) as sink:
            while data := source.read(CHUNK):
                sink.write(data)
                progress.advance(len(data))
        return sink.size

    for relative, path, _size in files:
        total += await anyio.to_thread.run_sync(copy, relative, path)
    return total
