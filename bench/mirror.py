"""Static mirror: full render, no-change re-run and one-new-post re-run, against a reference.

    python -m bench.mirror --database-url sqlite+aiosqlite:///bench/data/S.db

Renders the bench instance's public profiles and parleys into a temporary directory with
`build_mirror` (what `parley mirror DIR` runs), then runs it again with nothing changed, then
adds one public parley by the member who posts most and runs it again. The reference, measured
in the same run, is copying the finished mirror tree with `shutil.copytree`: the cost of
writing the same files with the same bytes and no database or templates, so the ratio says how
much of a full render is rendering rather than the file system.

The dataset is only read, except for the one parley of the third run, which goes into a copy
of a SQLite database (`--no-copy` to skip copying, e.g. for PostgreSQL: the parley stays).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import func, select

from bench import report
from bench.dataset import check_schema
from parley.app import build_runtime
from parley.config import Settings
from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.web.mirror import build_mirror


def _copy_sqlite(url: str, folder: Path) -> str:
    source = Path(url.split("///", 1)[1])
    target = folder / source.name
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        extra = source.with_name(source.name + suffix)
        if extra.exists():
            shutil.copyfile(extra, target.with_name(target.name + suffix))
    return f"sqlite+aiosqlite:///{target}"


async def measure(url: str, domain: str, work: Path) -> dict[str, Any]:
    settings = Settings(
        domain=domain, database_url=url, data_dir=work, media_dir=work / "media",
        secret_key="bench-only", embedded_worker=False,  # noqa: S106  (bench only)
    )  # fmt: skip
    runtime = build_runtime(settings)
    out = work / "mirror"
    try:
        full = await build_mirror(runtime.db, settings, out)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        noop = await build_mirror(runtime.db, settings, out)
        async with runtime.db.transaction() as session:
            author_id = await session.scalar(
                select(Post.account_id)
                .where(Post.local)
                .group_by(Post.account_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            author = await session.get(Account, author_id)
            assert author is not None
            await posts.create_post(
                session, runtime.ctx, author=author, text="bench: one more parley",
                visibility="public",
            )  # fmt: skip
        one = await build_mirror(runtime.db, settings, out)
    finally:
        await runtime.broker.close()
        await runtime.db.dispose()
    started = time.perf_counter()
    shutil.copytree(out, work / "copy")
    copy_seconds = time.perf_counter() - started
    return {
        "files": len(full.written),
        "bytes": size,
        "full_render_s": round(full.seconds, 2),
        "no_change_rerun_s": round(noop.seconds, 2),
        "no_change_files_written": len(noop.written),
        "one_new_post_rerun_s": round(one.seconds, 2),
        "one_new_post_files_written": len(one.written),
        "reference_copytree_s": round(copy_seconds, 2),
        "full_render_vs_reference": round(full.seconds / copy_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--domain", default="127.0.0.1:8000")
    parser.add_argument("--size", default="S", help="label for the results file")
    parser.add_argument("--no-copy", action="store_true", help="use the database in place")
    args = parser.parse_args()
    asyncio.run(check_schema(args.database_url))
    with TemporaryDirectory(prefix="parley-mirror-bench-") as tmp:
        work = Path(tmp)
        url = args.database_url
        if url.startswith("sqlite") and not args.no_copy:
            url = _copy_sqlite(url, work)
        results = asyncio.run(measure(url, args.domain, work))
    report.publish("mirror", args.size, args.database_url, results)


if __name__ == "__main__":
    main()
