"""Time a whole host move: `parley backup` of a bench instance, then `parley restore` onto a new
SQLite database and onto a new PostgreSQL database, against plain copies measured in the same
run (so a busy machine slows both sides alike and the ratios still mean something).

    python -m bench.move --database-url sqlite+aiosqlite:///bench/data/M.db --label M

The source is only read. Media: bench instances have none, so `--media-files` random files of
`--media-kib` KiB (incompressible, like real pictures) are written into a scratch media folder
under the source's key layout first. Steps, each timed by the wall clock:

  reference (SQLite)  sqlite3's online backup API copy of the database + a copy of the media
  backup              parley backup: snapshot, every row as JSON lines, media, checksums
  restore -> SQLite   parley restore into an empty SQLite file (verify, migrate, load, media)
  restore -> PG       parley restore into an empty PostgreSQL 15 database (tests/postgres.py)
  reference (PG)      pg_dump -Fc of that PostgreSQL database + pg_restore into another one

Results go to bench/results/move-<label>.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from parley.config import Settings
from parley.db.engine import is_sqlite
from parley.operations.backup import backup
from parley.operations.restore import restore

RESULTS = Path(__file__).parent / "results"


def _sqlite_path(url: str) -> Path:
    if not is_sqlite(url):
        raise SystemExit("bench.move reads a SQLite bench instance (--database-url sqlite...)")
    return Path(url.split("///", 1)[1])


def _fake_media(root: Path, files: int, kib: int) -> None:
    for index in range(files):
        folder = root / "attachments" / str(100000 + index)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"original_{secrets.token_hex(8)}.webp").write_bytes(os.urandom(kib * 1024))


def _folder_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


CPU: dict[str, float] = {}


def _timed(work: Any, name: str = "") -> tuple[float, Any]:
    """Wall-clock seconds of `work()`; its CPU seconds in this process (all threads, so
    SQLite's work too, not PostgreSQL's server) go to CPU[name]: on a shared machine the
    wall clock waits for other work, the CPU time does not."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    if name:
        CPU[name] = time.process_time() - cpu
    return time.perf_counter() - started, result


def _reference_sqlite(source: Path, media: Path, into: Path) -> float:
    def copy() -> None:
        with sqlite3.connect(source) as src, sqlite3.connect(into / "copy.db") as dst:
            src.backup(dst)
        shutil.copytree(media, into / "media-copy")

    seconds, _ = _timed(copy, "reference_sqlite")
    return seconds


def _settings(url: str, folder: Path, domain: str) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    return Settings(
        domain=domain, database_url=url, data_dir=folder, media_dir=folder / "media",
        secret_key=secrets.token_urlsafe(16),
    )  # fmt: skip


def _count_rows(url: str) -> int:
    """Every row of the restored database, as a check that the load is complete."""
    from sqlalchemy import func, select

    from parley.db.engine import make_engine
    from parley.operations.schema import tables_in_load_order

    async def count() -> int:
        engine = make_engine(url)
        total = 0
        try:
            async with engine.connect() as connection:
                for table in tables_in_load_order():
                    total += int(
                        await connection.scalar(select(func.count()).select_from(table)) or 0
                    )
        finally:
            await engine.dispose()
        return total

    return asyncio.run(count())


def _postgresql_steps(
    server: Any, archive: Path, scratch: Path, domain: str, rows: int, results: dict[str, Any]
) -> None:
    """Restore into an empty PostgreSQL database; reference: pg_dump + pg_restore of it."""
    server.start()

    async def create(*names: str) -> None:
        connection = await asyncpg.connect(server.url("postgres", driver="postgresql"))
        try:
            for name in names:
                await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()

    asyncio.run(create("moved", "reference"))
    pg_target = _settings(server.url("moved"), scratch / "restored-pg", domain)
    seconds, _ = _timed(lambda: asyncio.run(restore(pg_target, archive)), "restore_postgresql")
    results["restore_postgresql_s"] = seconds
    assert _count_rows(server.url("moved")) == rows, "the PostgreSQL restore lost rows"

    dump = scratch / "moved.pgdump"

    def reference_pg() -> None:
        bin_dir = server.bin_dir
        base = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres"]
        subprocess.run(
            [str(bin_dir / "pg_dump"), *base, "-Fc", "-f", str(dump), "moved"], check=True
        )
        subprocess.run(
            [str(bin_dir / "pg_restore"), *base, "-d", "reference", str(dump)], check=True
        )

    seconds, _ = _timed(reference_pg)
    results["reference_postgresql_s"] = seconds
    results["pg_dump_bytes"] = dump.stat().st_size


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.postgres import PostgresServer

    source_db = _sqlite_path(args.database_url)
    scratch = Path(tempfile.mkdtemp(prefix="parley-move-", dir=args.scratch))
    server = PostgresServer()
    try:
        media = scratch / "source-media"
        _fake_media(media, args.media_files, args.media_kib)
        source = _settings(args.database_url, scratch / "source", args.domain).model_copy(
            update={"media_dir": media}
        )
        results: dict[str, Any] = {
            "label": args.label,
            "load_average": os.getloadavg()[0],
            "database_bytes": source_db.stat().st_size,
            "media_files": args.media_files,
            "media_bytes": _folder_size(media),
        }
        (scratch / "reference").mkdir()
        results["reference_sqlite_s"] = _reference_sqlite(source_db, media, scratch / "reference")

        archive = scratch / "instance.zip"
        seconds, report = _timed(lambda: asyncio.run(backup(source, archive)), "backup")
        results.update(backup_s=seconds, archive_bytes=report.size, rows=report.rows)

        sqlite_url = f"sqlite+aiosqlite:///{scratch / 'restored' / 'parley.db'}"
        target = _settings(sqlite_url, scratch / "restored", args.domain)
        seconds, _ = _timed(lambda: asyncio.run(restore(target, archive)), "restore_sqlite")
        results["restore_sqlite_s"] = seconds
        assert _count_rows(sqlite_url) == report.rows, "the SQLite restore lost rows"

        if not args.skip_postgresql:
            _postgresql_steps(server, archive, scratch, args.domain, report.rows, results)
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    results["cpu_s"] = dict(CPU)
    results["move_sqlite_s"] = results["backup_s"] + results["restore_sqlite_s"]
    results["ratio_sqlite"] = results["move_sqlite_s"] / results["reference_sqlite_s"]
    if "restore_postgresql_s" in results:
        results["move_postgresql_s"] = results["backup_s"] + results["restore_postgresql_s"]
        results["ratio_postgresql"] = (
            results["restore_postgresql_s"] / results["reference_postgresql_s"]
        )
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.move",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True, help="the bench instance (SQLite)")
    parser.add_argument("--label", default="M")
    parser.add_argument("--domain", default="bench.parley.test")
    parser.add_argument("--media-files", type=int, default=1000)
    parser.add_argument("--media-kib", type=int, default=100)
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--scratch", default=None, help="folder for the copies (default: /tmp)")
    args = parser.parse_args(argv)
    results = run(args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"move-{args.label}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    mb = 1e6
    print(
        f"{args.label}: {results['rows']:,} rows, "
        f"database {results['database_bytes'] / mb:,.0f} MB, "
        f"media {results['media_files']} files {results['media_bytes'] / mb:,.0f} MB, "
        f"archive {results['archive_bytes'] / mb:,.0f} MB, load average "
        f"{results['load_average']:.1f}"
    )
    for name, key in [
        ("reference: sqlite3 .backup + media copy", "reference_sqlite_s"),
        ("parley backup", "backup_s"),
        ("parley restore -> SQLite", "restore_sqlite_s"),
        ("parley restore -> PostgreSQL", "restore_postgresql_s"),
        ("reference: pg_dump -Fc + pg_restore", "reference_postgresql_s"),
        ("whole move, SQLite -> SQLite", "move_sqlite_s"),
        ("whole move, SQLite -> PostgreSQL", "move_postgresql_s"),
    ]:
        if key in results:
            print(f"  {name:<42} {results[key]:8.1f} s")
    print(f"  move SQLite->SQLite / reference copy: {results['ratio_sqlite']:.1f}x")
    if "ratio_postgresql" in results:
        print(f"  restore to PostgreSQL / pg_dump+pg_restore: {results['ratio_postgresql']:.1f}x")
    cpu = results["cpu_s"]
    print(
        "  CPU seconds of this process (SQLite included, PostgreSQL's server not): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
