"""Warm home timeline: GET /home, signed in, through the real server, against a reference.

    python -m bench.home --database-url sqlite+aiosqlite:///bench/data/S.db

Starts `parley serve --workers 1 --no-worker` (granian) on a free loopback port against the
bench dataset, signs in as a bench member whose follow count is near the average, and loads
`--path` (default /home: the newest 20 posts of that member's home) with wrk (or the httpx
generator when wrk is missing). The reference is a minimal ASGI app on the same HTTP server
(bench/reference.py, granian with the same options) answering every request with the very
bytes Parley answered. Both are measured in the same run, in alternating rounds of
`--seconds` each after a warm-up; the best round of each is reported, with p50/p99 latency and
the ratio Parley / reference.

With `--writes-per-second R` (default 0: nothing is written, the server runs with
`--no-worker`, so nothing drops the kept page during the run), the server runs with its
embedded job worker, as `parley serve` does by default, and a writer in this process posts R
times a second during each Parley round (not during the reference's), through the real
service (`parley.domain.posts.service.create_post`, each post in its own transaction) as the
local account with the fewest followers among those the reader follows, in the same database.
Each post's event then drops the reader's kept page through the worker. About one post a
second is checked on the reader's /home: it must show within 1 s of its commit. The kept and
rendered counts of `parley_page_cache_requests_total` (the server's /metrics) before and after
each Parley round give the page cache's hit ratio. The posts written and the jobs queued
during the run are deleted afterwards, and the author's post count put back.

Where the path does not exist yet (404), the bench falls back to /about and says so.
Every load is bounded in time and only ever sent to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from sqlalchemy import delete, func, select, update

from bench import load, report
from bench.dataset import BENCH_PASSWORD, check_schema
from parley.app import build_runtime
from parley.config import Settings
from parley.db.base import utcnow
from parley.db.engine import make_engine
from parley.domain.accounts.models import Account, User
from parley.domain.posts.models import Post
from parley.domain.posts.service import create_post
from parley.domain.relationships.models import Follow
from parley.domain.timelines.models import FeedEntry
from parley.jobs.models import Job
from parley.runtime import Runtime

HOST = "127.0.0.1"
SEEN_WITHIN = 1.0  # seconds from a post's commit to the reader's /home showing it
POST_ID = re.compile(r'id="post-(\d+)"')
GIVE_UP = 5.0  # a post not shown by then counts as missing, not late
Around = Callable[[str], AbstractContextManager[Any]]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


async def _readers(url: str, count: int) -> list[str]:
    """Members with a following count near the average and a full home: the ones to sign in."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            average = await connection.scalar(
                select(func.avg(Account.following_count))
                .join(User, User.account_id == Account.id)
                .where(Account.domain.is_(None))
            )
            full_homes = (
                select(FeedEntry.account_id)
                .group_by(FeedEntry.account_id)
                .having(func.count() >= 20)
                .subquery()
            )
            names = await connection.scalars(
                select(Account.username)
                .join(User, User.account_id == Account.id)
                .join(full_homes, full_homes.c.account_id == Account.id)
                .order_by(func.abs(Account.following_count - (average or 0)), Account.id)
                .limit(count)
            )
            found = [str(name) for name in names]
    finally:
        await engine.dispose()
    if len(found) < count:
        raise SystemExit(
            "not enough members with 20 home entries: generate a dataset with bench.dataset"
        )
    return found


async def _reader(url: str) -> str:
    """The one member to sign in (see _readers)."""
    return (await _readers(url, 1))[0]


def server_env(url: str, port: int, folder: Path) -> dict[str, str]:
    """The environment of a `parley serve` on HOST:port with its files under folder."""
    return {
        **os.environ,
        "PARLEY_DATABASE_URL": url,
        "PARLEY_DOMAIN": f"{HOST}:{port}",
        "PARLEY_DATA_DIR": str(folder),
        "PARLEY_MEDIA_DIR": str(folder / "media"),
        "PARLEY_SECRET_KEY": secrets.token_urlsafe(32),
    }


@contextlib.contextmanager
def _server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """Run a server in its own process group until the block ends."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited ({process.returncode}):\n{log.read_text()}")
            try:
                httpx.get(f"http://{HOST}:{port}/about", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"server did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _sign_in(base: str, username: str) -> str:
    """Sign in through the web form; the Cookie header of the signed-in browser."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/auth/sign_in")
        form.raise_for_status()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise SystemExit("no CSRF token on the sign-in form")
        answer = client.post(
            "/auth/sign_in",
            data={
                "csrf_token": token.group(1),
                "login": username,
                "password": BENCH_PASSWORD,
                "next": "/home",
            },
        )
        if answer.status_code != 303:
            raise SystemExit(f"sign-in failed: {answer.status_code}\n{answer.text[:500]}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _fetch(base: str, path: str, cookie: str) -> httpx.Response:
    return httpx.get(f"{base}{path}", headers={"Cookie": cookie}, timeout=30)


def _count_posts(body: str) -> int:
    return len(re.findall(r"<article\b", body))


def measure(
    targets: dict[str, str],
    headers: dict[str, str],
    *,
    seconds: int,
    connections: int,
    rounds: int,
    around: Around | None = None,
) -> dict[str, list[load.LoadResult]]:
    """Warm each target up, then load them in alternating rounds (the request carries headers).
    `around(name)`, when given, is a context each round of that target runs in."""
    for url in targets.values():  # warm-up: caches, statement compilation, connection pools
        load.run(url, headers, seconds=2, connections=connections)
    results: dict[str, list[load.LoadResult]] = {name: [] for name in targets}
    order = list(targets)
    for round_number in range(rounds):
        for name in order if round_number % 2 == 0 else reversed(order):
            with around(name) if around else contextlib.nullcontext():
                result = load.run(targets[name], headers, seconds=seconds, connections=connections)
            print(
                f"  round {round_number + 1} {name:<9} {result.requests_per_second:8.0f} req/s"
                f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                f"  errors {result.errors}"
            )
            results[name].append(result)
    return results


def _best(results: list[load.LoadResult]) -> load.LoadResult:
    return max(results, key=lambda r: r.requests_per_second)


def run(
    url: str,
    path: str,
    *,
    seconds: int,
    connections: int,
    rounds: int,
    writes_per_second: float = 0,
) -> dict[str, Any]:
    username = asyncio.run(_reader(url))
    parley_port = _free_port()
    writing = writes_per_second > 0
    author: Author | None = asyncio.run(_author(url, username)) if writing else None
    started_at = utcnow()
    writer: Writer | None = None
    with TemporaryDirectory(prefix="parley-bench-") as scratch:
        folder = Path(scratch)
        env = server_env(url, parley_port, folder)
        serve = [sys.executable, "-m", "parley.cli", "serve", "--host", HOST]
        serve += ["--port", str(parley_port), "--workers", "1"]
        if not writing:
            serve.append("--no-worker")  # nothing is written: nothing to drop the page
        base = f"http://{HOST}:{parley_port}"
        try:
            with _server(serve, env, parley_port, folder / "parley.log"):
                cookie = _sign_in(base, username)
                page = _fetch(base, path, cookie)
                note = None
                if page.status_code == 404:
                    note = f"{path} answered 404 (not built yet): measured /about instead"
                    print(note)
                    path = "/about"
                    page = _fetch(base, path, cookie)
                page.raise_for_status()
                print(
                    f"signed in as {username}; {path}: {len(page.content):,} bytes, "
                    f"{_count_posts(page.text)} posts"
                )
                if author is not None:
                    print(
                        f"writing {writes_per_second:g} posts/s as {author.username} "
                        f"({author.followers} followers) during Parley's rounds"
                    )
                    settings = _writer_settings(url, parley_port, folder)
                    writer = Writer(settings, author.id, writes_per_second, base, cookie)
                rounds_seen: list[dict[str, Any]] = []
                with writer or contextlib.nullcontext():
                    measured = against_reference(
                        page,
                        base,
                        path,
                        {"Cookie": cookie},
                        folder,
                        seconds=seconds,
                        connections=connections,
                        rounds=rounds,
                        around=_observer(base, writer, rounds_seen),
                    )
        finally:
            if author is not None:
                written = writer.written if writer else []
                asyncio.run(_clean_up(url, author, written, started_at))
                print(f"deleted the {len(written)} posts written and the jobs since the start")
    _add_round_figures(measured, rounds_seen)
    return {
        "path": path,
        "note": note,
        "signed_in_as": username,
        "bytes": len(page.content),
        "posts_on_page": _count_posts(page.text),
        "writes_per_second": writes_per_second,
        "written_by": author.username if author else None,
        "written_by_followers": author.followers if author else None,
        **measured,
    }


def _observer(base: str, writer: Writer | None, seen: list[dict[str, Any]]) -> Around:
    """Around each Parley round: the page cache's counts, and the writer writing."""

    @contextlib.contextmanager
    def parley_round() -> Iterator[None]:
        before = _page_counts(base)
        with writer.writing() if writer else contextlib.nullcontext() as writes:
            yield
            after = _page_counts(base)  # before the checks in flight finish
        figures: dict[str, Any] = {"page_cache": _hit_ratio(before, after)}
        if writer is not None:  # the worker's backlog of events as the load ended
            figures["jobs_due_at_end"] = int(after.get("jobs_due", 0))
        if writes is not None:
            figures["writes"] = writes.summary()
        seen.append(figures)
        kept = figures["page_cache"]
        print(f"  page cache: {kept['kept']} kept, {kept['rendered']} rendered", end="")
        print(f", hit ratio {kept['hit_ratio']:.1%}" if kept["hit_ratio"] is not None else "")
        if writes is not None:
            print(f"  writes: {figures['writes']}")

    def around(name: str) -> AbstractContextManager[None]:
        return parley_round() if name == "parley" else contextlib.nullcontext()

    return around


def _page_counts(base: str) -> dict[str, float]:
    """parley_page_cache_requests_total by outcome, and the due jobs, from the server's
    /metrics (it answers loopback)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    found = re.findall(r'^parley_page_cache_requests_total\{outcome="(\w+)"\} (\S+)$', text, re.M)
    counts = {outcome: float(value) for outcome, value in found}
    due = re.search(r'^parley_job_queue_depth\{state="due"\} (\S+)$', text, re.M)
    if due:
        counts["jobs_due"] = float(due.group(1))
    return counts


def _hit_ratio(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    kept = int(after.get("kept", 0) - before.get("kept", 0))
    rendered = int(after.get("rendered", 0) - before.get("rendered", 0))
    ratio = round(kept / (kept + rendered), 4) if kept + rendered else None
    return {"kept": kept, "rendered": rendered, "hit_ratio": ratio}


def _add_round_figures(measured: dict[str, Any], seen: list[dict[str, Any]]) -> None:
    """Each Parley round's page-cache and write figures next to its load figures; the best
    round's (the one reported) also next to `parley`."""
    rounds = measured["rounds"]["parley"]
    for figures, result in zip(seen, rounds, strict=True):
        result.update(figures)
    best = max(rounds, key=lambda r: r["requests_per_second"])
    measured["page_cache"] = best["page_cache"]
    if "writes" in best:
        measured["writes"] = best["writes"]


@dataclass
class Author:
    id: int
    username: str
    followers: int
    posts_count: int
    last_post_at: datetime | None


async def _author(url: str, reader: str) -> Author:
    """The local account with the fewest followers among those `reader` follows (the cheapest
    post to fan out: what is measured is the reader's page, not the fan-out)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            reader_id = select(Account.id).where(
                Account.username_lower == reader.lower(), Account.domain.is_(None)
            )
            row = (
                await connection.execute(
                    select(
                        Account.id,
                        Account.username,
                        Account.followers_count,
                        Account.posts_count,
                        Account.last_post_at,
                    )
                    .join(Follow, Follow.target_id == Account.id)
                    .join(User, User.account_id == Account.id)
                    .where(Follow.account_id == reader_id.scalar_subquery())
                    .where(Account.domain.is_(None), Account.suspended_at.is_(None))
                    .order_by(Account.followers_count, Account.id)
                    .limit(1)
                )
            ).first()
    finally:
        await engine.dispose()
    if row is None:
        raise SystemExit(f"{reader} follows no local member to write as")
    return Author(int(row[0]), str(row[1]), int(row[2]), int(row[3]), row[4])


def _writer_settings(url: str, port: int, folder: Path) -> Settings:
    return Settings(
        domain=f"{HOST}:{port}",  # the server's: posts get its addresses
        database_url=url,
        data_dir=folder / "writer",
        secret_key=secrets.token_urlsafe(32),
        embedded_worker=False,  # the server's worker runs the events' jobs
    )


async def _clean_up(url: str, author: Author, written: list[int], since: datetime) -> None:
    """Delete the posts written (their feed entries go with them) and the jobs queued since
    the start; put the author's counters back."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            for start in range(0, len(written), 500):
                chunk = written[start : start + 500]
                await connection.execute(delete(Post).where(Post.id.in_(chunk)))
            await connection.execute(delete(Job).where(Job.created_at >= since))
            await connection.execute(
                update(Account)
                .where(Account.id == author.id)
                .values(posts_count=author.posts_count, last_post_at=author.last_post_at)
            )
    finally:
        await engine.dispose()


@dataclass
class RoundWrites:
    """What the writer did during one Parley round."""

    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    write_ms: list[float] = field(default_factory=list)
    seen_ms: list[float] = field(default_factory=list)  # checked posts: commit to shown
    seen_as_newer: int = 0  # shown only through a newer post of ours (pushed off the page)
    late: list[int] = field(default_factory=list)  # shown, but after SEEN_WITHIN
    missing: list[int] = field(default_factory=list)  # not shown within GIVE_UP

    def summary(self) -> dict[str, Any]:
        written = len(self.write_ms)
        checked = len(self.seen_ms) + len(self.missing)
        return {
            "written": written,
            "per_second": round(written / self.seconds, 2) if self.seconds else 0.0,
            "write_ms_median": round(statistics.median(self.write_ms), 1) if written else None,
            "checked": checked,
            "seen_within_1s": checked - len(self.late) - len(self.missing),
            "seen_as_newer": self.seen_as_newer,
            "late": len(self.late),
            "missing": len(self.missing),
            "seen_ms_median": round(statistics.median(self.seen_ms), 1) if self.seen_ms else None,
            "seen_ms_max": round(max(self.seen_ms), 1) if self.seen_ms else None,
        }


class Writer:
    """Posts `rate` a second while `writing()` is on, from a thread of this process with its own
    event loop and database pool; about one post a second is looked for on the reader's /home
    (the server at `base`, the reader's `cookie`)."""

    def __init__(
        self, settings: Settings, author_id: int, rate: float, base: str, cookie: str
    ) -> None:
        self.settings = settings
        self.author_id = author_id
        self.rate = rate
        self.base = base
        self.cookie = cookie
        self.written: list[int] = []
        self._check_every = max(1, round(rate))
        self._on = threading.Event()
        self._idle = threading.Event()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._round = RoundWrites()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="bench-writer", daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        self._ready.wait(60)
        self._raise()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._on.clear()
        self._thread.join(60)

    @contextlib.contextmanager
    def writing(self) -> Iterator[RoundWrites]:
        """Write while the block runs; at its end, wait for the write and checks in flight."""
        self._round = RoundWrites()
        self._idle.clear()
        self._on.set()
        try:
            yield self._round
        finally:
            self._on.clear()
            self._idle.wait(GIVE_UP + 30)
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise SystemExit(f"the writer failed: {self._error!r}")

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by the main thread
            self._error = error
        finally:
            self._ready.set()
            self._idle.set()

    async def _serve(self) -> None:
        runtime = build_runtime(self.settings)
        headers = {"Cookie": self.cookie}
        try:
            async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=10) as web:
                await self._write(runtime)  # warm-up: the first write compiles a lot
                self._ready.set()
                while not self._stop.is_set():
                    if self._on.is_set():
                        await self._write_round(runtime, web, self._round)
                    self._idle.set()
                    await asyncio.sleep(0.02)
        finally:
            await runtime.db.dispose()

    async def _write_round(
        self, runtime: Runtime, web: httpx.AsyncClient, stats: RoundWrites
    ) -> None:
        checks: list[asyncio.Task[None]] = []
        next_at = stats.started = time.monotonic()
        while self._on.is_set():
            wait = next_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(min(wait, 0.02))
                continue
            begun = time.perf_counter()
            post_id = await self._write(runtime)
            committed = time.perf_counter()
            stats.write_ms.append((committed - begun) * 1000)
            if len(stats.write_ms) % self._check_every == 1 or self._check_every == 1:
                checks.append(asyncio.create_task(self._check(web, post_id, committed, stats)))
            next_at += 1 / self.rate
        stats.seconds = time.monotonic() - stats.started
        await asyncio.gather(*checks)

    async def _write(self, runtime: Runtime) -> int:
        """One post through the real service, in a transaction of its own."""
        async with runtime.db.transaction() as session:
            author = await session.get_one(Account, self.author_id)
            text = f"Bench post {len(self.written)}: written while the home page is loaded."
            post = await create_post(session, runtime.ctx, author=author, text=text)
        self.written.append(post.id)
        return post.id

    async def _check(
        self, web: httpx.AsyncClient, post_id: int, committed: float, stats: RoundWrites
    ) -> None:
        """Load the reader's /home every 50 ms until it shows the post, or a newer one of
        ours: a page rendered after that one's commit, which at a high rate may have pushed
        this post past the 20 shown (ids grow with time within this process)."""
        while True:
            page = await web.get("/home")
            elapsed = time.perf_counter() - committed
            shown = {int(found) for found in POST_ID.findall(page.text)} & set(self.written)
            if page.status_code == 200 and any(found >= post_id for found in shown):
                stats.seen_as_newer += post_id not in shown
                stats.seen_ms.append(elapsed * 1000)
                if elapsed > SEEN_WITHIN:
                    stats.late.append(post_id)
                return
            if elapsed > GIVE_UP:
                stats.missing.append(post_id)
                return
            await asyncio.sleep(0.05)


def against_reference(
    page: httpx.Response,
    base: str,
    path: str,
    headers: dict[str, str],
    folder: Path,
    *,
    seconds: int,
    connections: int,
    rounds: int,
    around: Around | None = None,
) -> dict[str, Any]:
    """Serve the very bytes of `page` from the reference app, load Parley (at `base`) and the
    reference in the same run, and report the best round of each and their ratio (`around`:
    see `measure`)."""
    reference_port = _free_port()
    reference_base = f"http://{HOST}:{reference_port}"
    body_file = folder / "reference-body"
    body_file.write_bytes(page.content)
    content_type = page.headers.get("content-type", "text/html; charset=utf-8")
    reference = [sys.executable, "-m", "bench.reference", "--host", HOST]
    reference += ["--port", str(reference_port), "--body", str(body_file)]
    reference += ["--content-type", content_type]
    with _server(reference, dict(os.environ), reference_port, folder / "ref.log"):
        same = httpx.get(reference_base + path, headers=headers, timeout=30).content
        if same != page.content:
            raise SystemExit("the reference does not answer the same bytes")
        results = measure(
            {"parley": base + path, "reference": reference_base + path},
            headers,
            seconds=seconds,
            connections=connections,
            rounds=rounds,
            around=around,
        )
    parley, reference_best = _best(results["parley"]), _best(results["reference"])
    ratio = parley.requests_per_second / reference_best.requests_per_second
    print(
        f"best: parley {parley.requests_per_second:.0f} req/s, reference "
        f"{reference_best.requests_per_second:.0f} req/s: {ratio:.1%} of the reference"
    )
    return {
        "load": {"seconds": seconds, "connections": connections, "rounds": rounds},
        "parley": parley.as_dict(),
        "reference": reference_best.as_dict(),
        "ratio": round(ratio, 4),
        "rounds": {name: [r.as_dict() for r in runs] for name, runs in results.items()},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.home", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--label", help="dataset name for the results file (default: S or M)")
    parser.add_argument("--path", default="/home")
    parser.add_argument("--seconds", type=int, default=10, help="per round, at most 60")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=0,
        help="posts written during each Parley round by an account the reader follows (the "
        "server then runs its job worker); 0: none, and the server runs --no-worker",
    )
    parser.add_argument(
        "--page-cache-seconds",
        type=int,
        help="PARLEY_PAGE_CACHE_SECONDS of the server (0: every request renders the page)",
    )
    args = parser.parse_args(argv)
    label = args.label or Path(args.database_url.rsplit("/", 1)[-1]).stem
    cached = ""
    if args.page_cache_seconds is not None:
        os.environ["PARLEY_PAGE_CACHE_SECONDS"] = str(args.page_cache_seconds)
        cached = "-uncached" if args.page_cache_seconds == 0 else ""
    rate = args.writes_per_second
    if not 0 <= rate <= 100:
        parser.error("--writes-per-second must be between 0 and 100")
    if rate and args.path != "/home":
        parser.error("--writes-per-second checks the posts on /home: use it with --path /home")
    asyncio.run(check_schema(args.database_url))
    load_at_start = [round(value, 2) for value in os.getloadavg()]  # 1, 5, 15 minutes
    result = run(
        args.database_url,
        args.path,
        seconds=args.seconds,
        connections=args.connections,
        rounds=args.rounds,
        writes_per_second=rate,
    )
    kind = report.database_kind(args.database_url)
    worker = "(granian, its embedded job worker)" if rate else "--no-worker (granian)"
    report.write(
        f"home-{label}-{kind}{cached}" + (f"-writes{rate:g}" if rate else ""),
        {
            "scenario": "home",
            "dataset": label,
            "database": kind,
            "parley_is": f"parley serve --workers 1 {worker}",
            "reference_is": "minimal ASGI app on granian with the same options, same bytes",
            "command": "python -m bench.home " + " ".join(argv or sys.argv[1:]),
            "page_cache_seconds": args.page_cache_seconds,
            "load_average_at_start": load_at_start,
            **result,
        },
    )


if __name__ == "__main__":
    main()
