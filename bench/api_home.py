"""Home timeline through the Mastodon API: GET /api/v1/timelines/home, against a reference.

    python -m bench.api_home --database-url sqlite+aiosqlite:///bench/data/M.db

The API twin of bench.home: it starts `parley serve --workers 1 --no-worker` (granian) on a free
loopback port against the bench dataset, registers an app and takes a token for the same kind
of member bench.home signs in as (password grant, scope read), and loads the home timeline (20
statuses as JSON) with wrk. The reference is the minimal ASGI app on the same HTTP server
answering every request with the very bytes Parley answered (bench/reference.py). Alternating
rounds, best of each, same run; loopback only.

    python -m bench.api_home --database-url sqlite+aiosqlite:///bench/data/S.db --profile 200

With `--profile N`, no server: the app is built in-process (create_app, httpx's ASGI transport)
and N warm requests print the mean process CPU per request, in all and in each step (token
lookup, timeline query, hydrate, filters, entities, JSON), and for a floor request answered
before any database work (an unknown API path, same middleware), like bench.home_profile does
for the web page. Includes httpx's own work (about 1 ms a request), which a real server does
not pay.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench import report
from bench.dataset import BENCH_PASSWORD, check_schema
from bench.home import HOST, _free_port, _reader, _server, against_reference, server_env
from bench.home_profile import SPENT, _timed

PATH = "/api/v1/timelines/home?limit=20"


def _token_fields(client_id: str, client_secret: str, username: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": client_id,
        "client_secret": client_secret,
        "username": username,
        "password": BENCH_PASSWORD,
        "scope": "read",
    }


APP_FIELDS = {"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}


def _token(base: str, username: str) -> str:
    """A read token for `username`, the way an app gets one with the password grant."""
    with httpx.Client(base_url=base, timeout=30) as client:
        app = client.post("/api/v1/apps", data=APP_FIELDS)
        app.raise_for_status()
        fields = _token_fields(app.json()["client_id"], app.json()["client_secret"], username)
        answer = client.post("/oauth/token", data=fields)
        if answer.status_code != 200:
            raise SystemExit(f"token refused: {answer.status_code} {answer.text[:300]}")
        token: str = answer.json()["access_token"]
        return token


def run(url: str, *, seconds: int, connections: int, rounds: int) -> dict[str, Any]:
    username = asyncio.run(_reader(url))
    parley_port = _free_port()
    with TemporaryDirectory(prefix="parley-bench-") as scratch:
        folder = Path(scratch)
        env = server_env(url, parley_port, folder)
        serve = [sys.executable, "-m", "parley.cli", "serve", "--host", HOST]
        serve += ["--port", str(parley_port), "--workers", "1", "--no-worker"]
        base = f"http://{HOST}:{parley_port}"
        with _server(serve, env, parley_port, folder / "parley.log"):
            headers = {"Authorization": f"Bearer {_token(base, username)}"}
            page = httpx.get(base + PATH, headers=headers, timeout=30)
            page.raise_for_status()
            statuses = len(page.json())
            print(f"token for {username}; {PATH}: {len(page.content):,} bytes, {statuses}")
            measured = against_reference(
                page,
                base,
                PATH,
                headers,
                folder,
                seconds=seconds,
                connections=connections,
                rounds=rounds,
            )
    return {
        "path": PATH,
        "token_for": username,
        "bytes": len(page.content),
        "statuses": statuses,
        **measured,
    }


FLOOR_PATH = "/api/v1/no-such-endpoint"


def _instrument() -> None:
    """Time each step of the home timeline endpoint (steps nest: entities are inside filters)."""
    from parley.domain.posts import views as post_views
    from parley.domain.timelines import queries as timeline_queries
    from parley.mastodon import auth, entities, filtering, responses, views

    _timed_everywhere(auth, "token_grant", "token lookup")
    _timed_everywhere(timeline_queries, "home_timeline", "home timeline query")
    _timed_everywhere(views, "render_statuses", "render_statuses (hydrate, filters, entities)")
    _timed_everywhere(post_views, "hydrate", "hydrate (5 queries at most)")
    _timed_everywhere(filtering, "active_filters", "viewer's filters (query)")
    _timed_everywhere(entities, "status", "status entities", sync=True)
    _timed_everywhere(responses, "json_response", "JSON response", sync=True)


def _timed_everywhere(owner: Any, name: str, label: str, *, sync: bool = False) -> None:
    """bench.home_profile._timed, also where parley modules imported the function by name;
    `sync` for a plain (recursive) function: nested calls are counted once."""
    original = getattr(owner, name)
    if sync:
        depth = [0]

        def timed(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    SPENT[label] += time.process_time() - start

        setattr(owner, name, timed)
    else:
        _timed(owner, name, label)
    wrapped = getattr(owner, name)
    for module in list(sys.modules.values()):
        in_parley = getattr(module, "__name__", "").startswith("parley.")
        if in_parley and module is not owner and getattr(module, name, None) is original:
            setattr(module, name, wrapped)


async def profile(url: str, requests: int) -> dict[str, float]:
    """Mean CPU milliseconds per request: "total", each step, and the floor request."""
    from bench.home_profile import profiling_app

    username = await _reader(url)
    with TemporaryDirectory(prefix="parley-profile-") as scratch:
        folder = Path(scratch)
        app = profiling_app(url, folder)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8999"
        ) as client:
            registered = await client.post("/api/v1/apps", data=APP_FIELDS)
            registered.raise_for_status()
            fields = _token_fields(
                registered.json()["client_id"], registered.json()["client_secret"], username
            )
            answer = await client.post("/oauth/token", data=fields)
            answer.raise_for_status()
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            for _ in range(20):  # warm-up: statement caches
                (await client.get(PATH, headers=headers)).raise_for_status()
                await client.get(FLOOR_PATH, headers=headers)
            start = time.process_time()
            for _ in range(requests):
                await client.get(FLOOR_PATH, headers=headers)
            floor = time.process_time() - start
            SPENT.clear()
            start = time.process_time()
            for _ in range(requests):
                await client.get(PATH, headers=headers)
            total = time.process_time() - start
    means = {"total": total / requests * 1000}
    means.update({label: spent / requests * 1000 for label, spent in SPENT.items()})
    means[f"floor: GET {FLOOR_PATH} (404, middleware only)"] = floor / requests * 1000
    return means


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api_home", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--label", help="dataset name for the results file (default: S or M)")
    parser.add_argument("--seconds", type=int, default=10, help="per round, at most 60")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", type=int, metavar="N", help="in-process CPU breakdown")
    args = parser.parse_args()
    if args.profile:
        asyncio.run(check_schema(args.database_url))
        _instrument()
        means = asyncio.run(profile(args.database_url, args.profile))
        print(f"{PATH}: mean CPU per request over {args.profile} warm requests, in-process")
        for name, milliseconds in sorted(means.items(), key=lambda item: -item[1]):
            print(f"  {name:<50} {milliseconds:7.2f} ms")
        return
    label = args.label or Path(args.database_url.rsplit("/", 1)[-1]).stem
    asyncio.run(check_schema(args.database_url))
    result = run(
        args.database_url, seconds=args.seconds, connections=args.connections, rounds=args.rounds
    )
    kind = report.database_kind(args.database_url)
    report.write(
        f"api-home-{label}-{kind}",
        {
            "scenario": "api-home",
            "dataset": label,
            "database": kind,
            "parley_is": "parley serve --workers 1 --no-worker (granian)",
            "reference_is": "minimal ASGI app on granian with the same options, same bytes",
            "command": f"python -m bench.api_home --database-url {args.database_url}",
            **result,
        },
    )


if __name__ == "__main__":
    main()
