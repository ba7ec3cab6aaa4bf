"""Fan-out on write: how long until a new post is in every follower's home feed.

    python -m bench.fanout --database-url sqlite+aiosqlite:///bench/data/S.db

For authors with 10, 1,000 and 10,000 local followers (made for the bench: `fanout<N>`,
followed by the first N members, with extra bare members added when the dataset has fewer),
each run writes one post through the real service, `parley.domain.posts.service.create_post`
(falling back to inserting a Post row and calling
`parley.domain.timelines.service.fan_out_post` where create_post does not exist), commits,
and checks that the post is in all N + 1 homes (the author's too). The time is from the call
to the end of the commit.

Reference, in the same run and database: a bare executemany INSERT of the same N + 1 rows
into a scratch table shaped like feed_entries (same primary key and index), committed. The
ratio says how much the whole write path costs over just writing the feed rows.

Posts written here are deleted afterwards (their feed entries go with them), as are the jobs
they queued; the bench authors and their follows stay for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    MetaData,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bench import report
from bench.dataset import BENCH_PASSWORD, account_row, batches, check_schema, fresh_id, user_row
from parley.app import build_runtime
from parley.config import Settings
from parley.db.base import utcnow
from parley.db.engine import Database
from parley.db.ids import new_id
from parley.domain.accounts.models import Account, User
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Follow
from parley.domain.timelines.models import FeedEntry
from parley.jobs.models import Job
from parley.runtime import Runtime

SCRATCH = Table(
    "bench_scratch_feed",
    MetaData(),
    Column("account_id", BigInteger, primary_key=True),
    Column("post_id", BigInteger, primary_key=True),
    Column("author_id", BigInteger, nullable=False),
    Index("ix_bench_scratch_feed_author_id", "author_id"),
)


async def _bare_accounts(db: Database, base_url: str, count: int, start: int) -> None:
    """`count` extra members with no posts (when the dataset has too few to follow)."""
    now_ms = time.time_ns() // 1_000_000
    used: set[int] = set()
    accounts, users = [], []
    password_hash = PasswordHasher().hash(BENCH_PASSWORD)
    for number in range(start, start + count):
        ms = now_ms - 100 * 86_400_000 + number
        account_id = fresh_id(ms, used)
        name = f"fanx{number}"
        accounts.append(account_row(base_url, account_id, name, ms))
        users.append(user_row(fresh_id(ms, used), account_id, name, ms, password_hash))
    async with db.engine.begin() as connection:
        for batch in batches(accounts):
            await connection.execute(insert(Account), batch)
        for batch in batches(users):
            await connection.execute(insert(User), batch)


async def _author(runtime: Runtime, followers: int) -> int:
    """The bench author `fanout<followers>`, followed by exactly that many local members."""
    db = runtime.db
    name = f"fanout{followers}"
    async with db.reader() as session:
        author_id = await session.scalar(
            select(Account.id).where(Account.username_lower == name, Account.domain.is_(None))
        )
        authors = select(Account.id).where(Account.username_lower.like("fanout%"))
        candidates = select(Account.id).where(Account.domain.is_(None), Account.id.not_in(authors))
        available = await session.scalar(select(func.count()).select_from(candidates.subquery()))
    if author_id is not None:
        return author_id
    available = available or 0
    if available < followers:
        extra = await _count_like(db, "fanx%")
        await _bare_accounts(db, runtime.settings.base_url, followers - available, extra)
    now_ms = time.time_ns() // 1_000_000
    used: set[int] = set()
    author_id = fresh_id(now_ms - 95 * 86_400_000, used)
    async with db.engine.begin() as connection:
        await connection.execute(
            insert(Account),
            [account_row(runtime.settings.base_url, author_id, name, now_ms - 95 * 86_400_000)],
        )
        follower_ids = (
            await connection.scalars(candidates.order_by(Account.id).limit(followers))
        ).all()
        rows = [
            {
                "id": fresh_id(now_ms - 94 * 86_400_000, used),
                "account_id": follower_id,
                "target_id": author_id,
                "show_echoes": True,
                "notify": False,
                "created_at": utcnow(),
            }
            for follower_id in follower_ids
        ]
        for batch in batches(rows):
            await connection.execute(insert(Follow), batch)
        await connection.execute(
            update(Account).where(Account.id == author_id).values(followers_count=len(rows))
        )
    return author_id


async def _count_like(db: Database, pattern: str) -> int:
    async with db.reader() as session:
        found = await session.scalar(
            select(func.count()).select_from(Account).where(Account.username_lower.like(pattern))
        )
    return int(found or 0)


async def _write_post(session: AsyncSession, runtime: Runtime, author: Account, text: str) -> int:
    try:
        from parley.domain.posts.service import create_post
    except ImportError:
        return await _write_post_row(session, author, text)
    post = await create_post(session, runtime.ctx, author=author, text=text)
    return post.id


async def _write_post_row(session: AsyncSession, author: Account, text: str) -> int:
    from parley.domain.timelines.service import fan_out_post

    post_id = new_id()
    base = f"{author.uri}/statuses/{post_id}"
    post = Post(id=post_id, account_id=author.id, uri=base, text=text, content_html=text)
    session.add(post)
    await session.flush()
    await fan_out_post(session, post)
    return post_id


def _path() -> str:
    try:
        from parley.domain.posts.service import create_post  # noqa: F401
    except ImportError:
        return "timelines.service.fan_out_post on an inserted Post row"
    return "posts.service.create_post"


async def _measure(runtime: Runtime, author_id: int, repeat: int) -> dict[str, Any]:
    db = runtime.db
    async with db.reader() as session:
        followers = list(
            await session.scalars(select(Follow.account_id).where(Follow.target_id == author_id))
        )
    recipients = len(followers) + 1
    written: list[int] = []
    timings: list[float] = []
    for run in range(repeat + 1):  # the first run warms caches and is not counted
        started = time.perf_counter()
        async with db.transaction() as session:
            author = await session.get(Account, author_id)
            assert author is not None
            post_id = await _write_post(session, runtime, author, f"Bench post {run}: hello!")
        elapsed = time.perf_counter() - started
        written.append(post_id)
        async with db.reader() as session:
            delivered = await session.scalar(
                select(func.count()).select_from(FeedEntry).where(FeedEntry.post_id == post_id)
            )
        if delivered != recipients:
            raise SystemExit(f"post {post_id} reached {delivered} homes, not {recipients}")
        if run:
            timings.append(elapsed)

    reference: list[float] = []
    async with db.engine.begin() as connection:
        await connection.run_sync(SCRATCH.create, checkfirst=True)
        await connection.execute(delete(SCRATCH))
    for run in range(repeat + 1):
        post_id = new_id()
        rows = [
            {"account_id": account_id, "post_id": post_id, "author_id": author_id}
            for account_id in [author_id, *followers]
        ]
        started = time.perf_counter()
        async with db.engine.begin() as connection:
            await connection.execute(insert(SCRATCH), rows)
        elapsed = time.perf_counter() - started
        if run:
            reference.append(elapsed)

    async with db.engine.begin() as connection:
        await connection.run_sync(SCRATCH.drop)
        await connection.execute(delete(Post).where(Post.id.in_(written)))
    parley = report.milliseconds(timings)
    bare = report.milliseconds(reference)
    return {
        "followers": len(followers),
        "recipients": recipients,
        "parley": parley,
        "reference": bare,
        "ratio_median": round(parley["median_ms"] / bare["median_ms"], 2),
        "parley_runs_ms": [round(t * 1000, 2) for t in timings],
        "reference_runs_ms": [round(t * 1000, 2) for t in reference],
    }


async def run(url: str, sizes: Sequence[int], repeat: int, domain: str) -> list[dict[str, Any]]:
    with TemporaryDirectory(prefix="parley-bench-") as data_dir:
        settings = Settings(
            domain=domain,
            database_url=url,
            data_dir=Path(data_dir),
            secret_key=secrets.token_urlsafe(32),
            embedded_worker=False,
        )
        runtime = build_runtime(settings)
        started_at = utcnow()
        try:
            results = []
            for followers in sizes:
                author_id = await _author(runtime, followers)
                result = await _measure(runtime, author_id, repeat)
                print(
                    f"{result['recipients']:>6} homes: parley {result['parley']['median_ms']:8.1f}"
                    f" ms, bare insert {result['reference']['median_ms']:7.1f} ms,"
                    f" ratio {result['ratio_median']:.1f}"
                )
                results.append(result)
            async with runtime.db.engine.begin() as connection:
                await connection.execute(delete(Job).where(Job.created_at >= started_at))
            return results
        finally:
            await runtime.db.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--label", help="dataset name for the results file (default: S or M)")
    parser.add_argument("--followers", default="10,1000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--domain", default="127.0.0.1:8000")
    args = parser.parse_args(argv)
    label = args.label or Path(args.database_url.rsplit("/", 1)[-1]).stem
    sizes = [int(n) for n in args.followers.split(",")]
    asyncio.run(check_schema(args.database_url))
    results = asyncio.run(run(args.database_url, sizes, args.repeat, args.domain))
    kind = report.database_kind(args.database_url)
    report.write(
        f"fanout-{label}-{kind}",
        {
            "scenario": "fanout",
            "dataset": label,
            "database": kind,
            "path": _path(),
            "repeat": args.repeat,
            "reference_is": "executemany INSERT of the same rows into a feed_entries-shaped table",
            "command": f"python -m bench.fanout --database-url {args.database_url}",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
