"""Home timeline through the Mastodon API: GET /api/v1/timelines/home, against a reference.

    python -m bench.api_home --database-url sqlite+aiosqlite:///bench/data/M.db

The API twin of bench.home: it starts `parley serve --workers 1 --no-worker` (granian) on a free
loopback port against the bench dataset, registers an app and takes a token for the same kind
of member bench.home signs in as (password grant, scope read), and loads the home timeline (20
statuses as JSON) with wrk. The reference is the minimal ASGI app on the same HTTP server
answering every request with the very bytes Parley answered (bench/reference.py). Alternating
rounds, best of each, same run; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench import report
from bench.dataset import BENCH_PASSWORD, check_schema
from bench.home import HOST, _free_port, _reader, _server, against_reference, server_env

PATH = "/api/v1/timelines/home?limit=20"


def _token(base: str, username: str) -> str:
    """A read token for `username`, the way an app gets one with the password grant."""
    with httpx.Client(base_url=base, timeout=30) as client:
        app = client.post(
            "/api/v1/apps",
            data={"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        )
        app.raise_for_status()
        answer = client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app.json()["client_id"],
                "client_secret": app.json()["client_secret"],
                "username": username,
                "password": BENCH_PASSWORD,
                "scope": "read",
            },
        )
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api_home", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--label", help="dataset name for the results file (default: S or M)")
    parser.add_argument("--seconds", type=int, default=10, help="per round, at most 60")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
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
