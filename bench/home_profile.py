"""Where one signed-in page's CPU goes, in-process (the breakdown behind docs/performance.md).

    python -m bench.home_profile --database-url sqlite+aiosqlite:///bench/data/M.db

Builds the app with `create_app` against a bench dataset, signs in through the web form as the
member bench.home picks, warms up, then requests `--path` `--requests` times through httpx's
ASGI transport and prints the mean process CPU per request, in all and in each step of the
page: finding the session, the timeline query, hydrate, the viewer's filters, the navigation
chrome and Jinja rendering, of which the post cards (steps nest: Jinja and the chrome are inside
rendering the stream, the post cards inside Jinja).
CPU, not wall time: the machine is shared, and CPU is what limits one worker's throughput.
Includes the httpx client's own work (about 1 ms a request), which a real server does not pay.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from jinja2 import Template

from bench.dataset import BENCH_PASSWORD, check_schema
from bench.home import _reader
from parley.app import create_app
from parley.config import Settings
from parley.domain.timelines import queries as timeline_queries
from parley.web import templating, viewer
from parley.web.post_cards import PostCards
from parley.web.routes import timelines

SPENT: defaultdict[str, float] = defaultdict(float)


def _timed(owner: Any, name: str, label: str) -> None:
    """Replace `owner.name` (a coroutine function) with one that adds its CPU to SPENT."""
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return await original(*args, **kwargs)
        finally:
            SPENT[label] += time.process_time() - start

    setattr(owner, name, timed)


def _timed_sync(owner: Any, name: str, label: str) -> None:
    """Replace `owner.name` (a plain function or method) with one that adds its CPU to SPENT;
    nested calls of the same label count once."""
    original: Callable[..., Any] = getattr(owner, name)
    depth = [0]

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                SPENT[label] += time.process_time() - start

    setattr(owner, name, timed)


def _instrument() -> None:
    _timed(viewer, "find_web_session_row", "session lookup")
    _timed(timeline_queries, "home_timeline", "home timeline query")
    _timed(timelines, "hydrate", "hydrate")
    _timed(timelines, "apply_filters", "viewer's filters")
    _timed(templating, "_chrome", "navigation chrome")
    _timed(timelines, "render_stream", "render_stream (filters, chrome, jinja)")
    _timed_sync(Template, "render", "jinja rendering")
    _timed_sync(PostCards, "render", "jinja: post cards (cache keys, reuse)")


def profiling_app(url: str, folder: Path) -> Any:
    """The whole app on a bench dataset, in-process, without its worker or kept pages."""
    settings = Settings(
        page_cache_seconds=0,  # the page as built, not a kept copy (parley.web.page_cache)
        database_url=url,
        domain="127.0.0.1:8999",
        data_dir=folder,
        media_dir=folder / "media",
        secret_key=secrets.token_urlsafe(32),
        embedded_worker=False,
    )
    return create_app(settings, run_worker=False)


async def profile(url: str, path: str, requests: int) -> dict[str, float]:
    """Mean CPU milliseconds per request: "total" and each step."""
    username = await _reader(url)
    with TemporaryDirectory(prefix="parley-profile-") as scratch:
        folder = Path(scratch)
        app = profiling_app(url, folder)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8999"
        ) as client:
            form = await client.get("/auth/sign_in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            if token is None:
                raise SystemExit("no CSRF token on the sign-in form")
            fields = {"csrf_token": token.group(1), "login": username, "password": BENCH_PASSWORD}
            signed_in = await client.post("/auth/sign_in", data=fields)
            if signed_in.status_code != 303:
                raise SystemExit(f"sign-in failed: {signed_in.status_code}")
            for _ in range(10):  # warm-up: statement caches, post cards
                (await client.get(path)).raise_for_status()
            SPENT.clear()
            start = time.process_time()
            for _ in range(requests):
                await client.get(path)
            total = time.process_time() - start
    means = {"total": total / requests * 1000}
    means.update({label: spent / requests * 1000 for label, spent in SPENT.items()})
    return means


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.home_profile", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--path", default="/home")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    asyncio.run(check_schema(args.database_url))
    _instrument()
    means = asyncio.run(profile(args.database_url, args.path, args.requests))
    print(f"{args.path}: mean CPU per request over {args.requests} warm requests")
    for label, milliseconds in sorted(means.items(), key=lambda item: -item[1]):
        print(f"  {label:<40} {milliseconds:7.2f} ms")


if __name__ == "__main__":
    main()
