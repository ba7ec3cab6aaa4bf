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
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from sqlalchemy import func, select

from bench import load, report
from bench.dataset import BENCH_PASSWORD, check_schema
from parley.db.engine import make_engine
from parley.domain.accounts.models import Account, User
from parley.domain.timelines.models import FeedEntry

HOST = "127.0.0.1"


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
) -> dict[str, list[load.LoadResult]]:
    """Warm each target up, then load them in alternating rounds (the request carries headers)."""
    for url in targets.values():  # warm-up: caches, statement compilation, connection pools
        load.run(url, headers, seconds=2, connections=connections)
    results: dict[str, list[load.LoadResult]] = {name: [] for name in targets}
    order = list(targets)
    for round_number in range(rounds):
        for name in order if round_number % 2 == 0 else reversed(order):
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


def run(url: str, path: str, *, seconds: int, connections: int, rounds: int) -> dict[str, Any]:
    username = asyncio.run(_reader(url))
    parley_port = _free_port()
    with TemporaryDirectory(prefix="parley-bench-") as scratch:
        folder = Path(scratch)
        env = server_env(url, parley_port, folder)
        serve = [sys.executable, "-m", "parley.cli", "serve", "--host", HOST]
        serve += ["--port", str(parley_port), "--workers", "1", "--no-worker"]
        base = f"http://{HOST}:{parley_port}"
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
            measured = against_reference(
                page,
                base,
                path,
                {"Cookie": cookie},
                folder,
                seconds=seconds,
                connections=connections,
                rounds=rounds,
            )
    return {
        "path": path,
        "note": note,
        "signed_in_as": username,
        "bytes": len(page.content),
        "posts_on_page": _count_posts(page.text),
        **measured,
    }


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
) -> dict[str, Any]:
    """Serve the very bytes of `page` from the reference app, load Parley (at `base`) and the
    reference in the same run, and report the best round of each and their ratio."""
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
    asyncio.run(check_schema(args.database_url))
    result = run(
        args.database_url,
        args.path,
        seconds=args.seconds,
        connections=args.connections,
        rounds=args.rounds,
    )
    kind = report.database_kind(args.database_url)
    report.write(
        f"home-{label}-{kind}{cached}",
        {
            "scenario": "home",
            "dataset": label,
            "database": kind,
            "parley_is": "parley serve --workers 1 --no-worker (granian)",
            "reference_is": "minimal ASGI app on granian with the same options, same bytes",
            "command": "python -m bench.home " + " ".join(argv or sys.argv[1:]),
            "page_cache_seconds": args.page_cache_seconds,
            **result,
        },
    )


if __name__ == "__main__":
    main()
