"""Account archive and CSV export of the busiest members, against a reference.

    python -m bench.portability --database-url sqlite+aiosqlite:///bench/data/S.db

Streams the archive (`parley.domain.portability.archive.stream_archive`, what
/settings/export/archive.zip serves) of the member with the most posts, and the following
CSV of the member who follows most, draining the chunks as a client would. Records time,
bytes and the peak of Python memory while streaming (tracemalloc), to show the export does
not hold the archive in memory. The reference, measured in the same run, is reading the same
member's posts with one plain Core SELECT of their columns (no rendering, no zip): the ratio
says what rendering ActivityPub and zipping cost over fetching the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import func, select

from bench import report
from bench.dataset import check_schema
from parley.app import build_runtime
from parley.config import Settings
from parley.domain.portability.archive import stream_archive
from parley.domain.portability.csv_formats import Kind
from parley.domain.portability.export import export_csv
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Follow
from parley.infra.storage import open_store


async def _busiest(runtime: Any, column: Any) -> tuple[int, int]:
    async with runtime.db.reader() as session:
        row = (
            await session.execute(
                select(column, func.count()).group_by(column).order_by(func.count().desc()).limit(1)
            )
        ).one()
    return int(row[0]), int(row[1])


async def _drain(chunks: AsyncIterator[bytes] | AsyncIterator[str]) -> int:
    """Read a stream as a client would; its size."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
    return size


async def measure(url: str, domain: str, work: Path) -> dict[str, Any]:
    settings = Settings(
        domain=domain, database_url=url, data_dir=work, media_dir=work / "media",
        secret_key="bench-only", embedded_worker=False,  # noqa: S106 (a throwaway bench key)
    )  # fmt: skip
    runtime = build_runtime(settings)
    store = open_store(settings)
    try:
        author, post_count = await _busiest(runtime, Post.account_id)
        follower, follow_count = await _busiest(runtime, Follow.account_id)

        started = time.perf_counter()
        async with runtime.db.reader() as session:
            rows = (
                await session.execute(select(*Post.__table__.c).where(Post.account_id == author))
            ).all()
        reference = time.perf_counter() - started
        assert len(rows) >= post_count - 1

        started = time.perf_counter()
        size = await _drain(stream_archive(runtime.db, runtime.ctx, store, account_id=author))
        archive_seconds = time.perf_counter() - started
        # Memory in a second pass: tracing slows Python down several times.
        tracemalloc.start()
        await _drain(stream_archive(runtime.db, runtime.ctx, store, account_id=author))
        _, archive_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        started = time.perf_counter()
        csv_bytes = await _drain(
            export_csv(runtime.db, account_id=follower, kind=Kind.FOLLOWING, local_domain=domain)
        )
        csv_seconds = time.perf_counter() - started
    finally:
        await runtime.broker.close()
        await runtime.db.dispose()
    return {
        "archive_posts": post_count,
        "archive_bytes": size,
        "archive_s": round(archive_seconds, 2),
        "archive_posts_per_s": round(post_count / archive_seconds),
        "archive_peak_python_mb": round(archive_peak / 2**20, 1),
        "reference_select_posts_s": round(reference, 3),
        "archive_vs_reference": round(archive_seconds / reference, 1),
        "following_rows": follow_count,
        "following_csv_bytes": csv_bytes,
        "following_csv_s": round(csv_seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--domain", default="127.0.0.1:8000")
    parser.add_argument("--size", default="S", help="label for the results file")
    args = parser.parse_args()
    asyncio.run(check_schema(args.database_url))
    with TemporaryDirectory(prefix="parley-portability-bench-") as tmp:
        results = asyncio.run(measure(args.database_url, args.domain, Path(tmp)))
    report.publish("portability", args.size, args.database_url, results)


if __name__ == "__main__":
    main()
