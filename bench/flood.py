"""Flood: one address floods anonymous pages while signed-in members read their home timeline.

    python -m bench.flood --database-url sqlite+aiosqlite:////tmp/parley-flood/S.db

Starts `parley serve --workers 1 --no-worker` (granian) on a free loopback port against a
bench dataset (bench.dataset), signs in `--members` members (each reading /home from an
address of its own, `--member-rate` requests a second, as people do), and measures their
latency: first unloaded, then while one address floods `--flood-path` with wrk (or the httpx
generator) at full speed, without and with under-attack mode. The series runs three times:
Parley alone with its rate limits off (PARLEY_RATELIMIT_ENABLED=false), Parley alone with its
rate limits as shipped, and Parley behind nginx with deploy/nginx.conf (its micro-cache and
limit_req; TLS left out, nginx on a loopback port), so the figures show what each protection
buys. Loaded p99 / unloaded p99 is the figure of merit (target: within 3x).

Addresses are X-Forwarded-For values from 127.0.0.1, which Parley trusts as nginx by default
(and the bench's nginx takes as the client address), so each member and each flood has an
address of its own without leaving loopback. The automatic under-attack trigger is off here
(PARLEY_UNDER_ATTACK_AUTO_RPS=0) so the "without" rows measure the rest alone; each flood uses
a fresh address. Every load is bounded in time and only ever sent to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench import load, report
from bench.dataset import check_schema
from bench.home import HOST, _free_port, _readers, _server, _sign_in, server_env

NGINX_CONF = Path(__file__).parent.parent / "deploy" / "nginx.conf"


def _nginx_conf(folder: Path, port: int, upstream: int) -> Path:
    """deploy/nginx.conf on a loopback port without TLS, taking X-Forwarded-For as the client
    address (the bench's stand-in for many clients), with its caches in `folder`."""
    text = NGINX_CONF.read_text()
    text = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", text, count=1, flags=re.DOTALL)
    text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    text = re.sub(r"\n    listen (443|\[::\]:443).*", "", text)
    text = re.sub(r"\n    ssl_.*", "", text)
    text = text.replace(
        "server_name social.example.org;",
        f"listen 127.0.0.1:{port};\n    server_name 127.0.0.1;\n"
        "    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Forwarded-For;",
    )
    text = text.replace("/var/cache/nginx/", f"{folder}/cache/")
    (folder / "cache").mkdir(mode=0o777, parents=True, exist_ok=True)
    (folder / "parley-nginx.conf").write_text(text)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"error_log {folder}/nginx-error.log;\npid {folder}/nginx.pid;\n"
        "worker_processes 1;\nevents { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  include {folder}/parley-nginx.conf;\n}}\n"
    )
    return conf


@contextlib.contextmanager
def _nginx(folder: Path, port: int, upstream: int) -> Iterator[None]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = _nginx_conf(folder, port, upstream)
    folder.chmod(0o777)
    command = [binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "nginx-error.log")]
    subprocess.run([*command, "-t"], check=True, capture_output=True, timeout=30)
    with _server([*command, "-g", "daemon off;"], dict(os.environ), port, folder / "nginx.out"):
        yield


def _p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return round(statistics.quantiles(values, n=100)[q - 1], 2)


async def _members_read(
    base: str, cookies: list[str], *, seconds: float, rate: float
) -> dict[str, Any]:
    """Each member loads /home `rate` times a second from its own address, for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def member(index: int, cookie: str, client: httpx.AsyncClient) -> None:
        headers = {"Cookie": cookie, "X-Forwarded-For": f"10.0.1.{index + 1}"}
        await asyncio.sleep(index / (rate * len(cookies)))  # spread the members out
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.get(f"{base}/home", headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1
                continue
            elapsed = time.perf_counter() - started
            latencies.append(elapsed * 1000)
            await asyncio.sleep(max(0.0, 1 / rate - elapsed))

    limits = httpx.Limits(max_connections=len(cookies), max_keepalive_connections=len(cookies))
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(member(i, c, client) for i, c in enumerate(cookies)))
    return {
        "requests": len(latencies),
        "p50_ms": _p(latencies, 50),
        "p99_ms": _p(latencies, 99),
        "max_ms": round(max(latencies, default=0.0), 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _set_under_attack(env: dict[str, str], on: bool) -> None:
    subprocess.run(
        [sys.executable, "-m", "parley.cli", "admin", "under-attack", "on" if on else "off"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    time.sleep(6)  # every process re-reads the mode within 5 s


def _flood(url: str, address: str, seconds: int, connections: int) -> dict[str, Any]:
    """Run the flood in a thread (wrk is its own process; the httpx generator its own loop)."""
    found: dict[str, Any] = {}

    def work() -> None:
        result = load.run(
            url, {"X-Forwarded-For": address}, seconds=seconds, connections=connections
        )
        found.update(result.as_dict())

    thread = threading.Thread(target=work)
    thread.start()
    found["_thread"] = thread
    return found


def _series(
    env: dict[str, str], base: str, cookies: list[str], args: argparse.Namespace,
    label: str, first_address: int,
) -> dict[str, Any]:  # fmt: skip
    rows: dict[str, Any] = {}
    unloaded = asyncio.run(
        _members_read(base, cookies, seconds=args.seconds, rate=args.member_rate)
    )
    rows["unloaded"] = {"members": unloaded}
    print(f"  [{label}] unloaded      members p99 {unloaded['p99_ms']:8.2f} ms")
    for index, attack in enumerate((False, True)):
        _set_under_attack(env, attack)
        address = f"10.66.0.{first_address + index}"
        flood = _flood(base + args.flood_path, address, args.seconds + 2, args.flood_connections)
        time.sleep(1)  # the flood is at full speed before the members read
        members = asyncio.run(
            _members_read(base, cookies, seconds=args.seconds, rate=args.member_rate)
        )
        flood.pop("_thread").join(timeout=args.seconds + 60)
        name = "flood, under-attack on" if attack else "flood"
        ratio = members["p99_ms"] / unloaded["p99_ms"] if unloaded["p99_ms"] else 0.0
        rows[name] = {"members": members, "flood": flood, "p99_ratio": round(ratio, 2)}
        print(
            f"  [{label}] {name:<22} members p99 {members['p99_ms']:8.2f} ms ({ratio:4.1f}x)"
            f"  flood {flood['requests_per_second']:7.0f} req/s, {flood['errors']} refused"
        )
    _set_under_attack(env, False)
    return rows


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    usernames = asyncio.run(_readers(url, args.members))
    results: dict[str, Any] = {}
    with TemporaryDirectory(prefix="parley-flood-") as scratch:
        folder = Path(scratch)
        setups: tuple[tuple[str, bool, bool], ...] = (
            ("rate limits off", False, False),
            ("rate limits on", True, False),
        )
        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            setups += (("behind nginx", True, True),)
        for number, (label, limits_on, nginx) in enumerate(setups):
            port = _free_port()
            env = {
                **server_env(url, port, folder),
                "PARLEY_RATELIMIT_ENABLED": "true" if limits_on else "false",
                "PARLEY_UNDER_ATTACK_AUTO_RPS": "0",
                "PARLEY_LOG_LEVEL": "WARNING",
            }
            serve = [sys.executable, "-m", "parley.cli", "serve", "--host", HOST]
            serve += ["--port", str(port), "--workers", "1", "--no-worker"]
            base = f"http://{HOST}:{port}"
            with contextlib.ExitStack() as stack:
                stack.enter_context(_server(serve, env, port, folder / f"parley-{number}.log"))
                if nginx:
                    front = _free_port()
                    stack.enter_context(_nginx(folder / f"nginx-{number}", front, port))
                    base = f"http://{HOST}:{front}"
                cookies = [_sign_in(base, name) for name in usernames]
                for cookie in cookies:  # warm-up: caches, statements, connection pool
                    httpx.get(f"{base}/home", headers={"Cookie": cookie}, timeout=30)
                httpx.get(f"{base}{args.flood_path}", timeout=30)
                results[label] = _series(env, base, cookies, args, label, 1 + 10 * number)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--label", help="dataset name for the results file (default: S or M)")
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--member-rate", type=float, default=2.0, help="requests/s per member")
    parser.add_argument("--flood-path", default="/local")
    parser.add_argument("--flood-connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15, help="per measurement, at most 60")
    args = parser.parse_args(argv)
    args.seconds = max(3, min(args.seconds, 60))
    label = args.label or Path(args.database_url.rsplit("/", 1)[-1]).stem
    asyncio.run(check_schema(args.database_url))
    results = run(args.database_url, args)
    kind = report.database_kind(args.database_url)
    report.write(
        f"flood-{label}-{kind}",
        {
            "scenario": "flood",
            "dataset": label,
            "database": kind,
            "parley_is": "parley serve --workers 1 --no-worker (granian), no nginx in front",
            "members": args.members,
            "member_rate": args.member_rate,
            "flood_path": args.flood_path,
            "flood_connections": args.flood_connections,
            "seconds": args.seconds,
            "command": f"python -m bench.flood --database-url {args.database_url}",
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
