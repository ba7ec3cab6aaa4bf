"""Bounded HTTP load on loopback: wrk when installed (apt-get install wrk), else a small
httpx generator. Each run is limited in time; results are requests/s and latency percentiles.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host.startswith("127.") or host in {"localhost", "::1"}):
        raise ValueError(f"load is only ever sent to loopback addresses, not {host!r}")


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not match:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> LoadResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (total and rps and p50 and p99):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return LoadResult(
        tool="wrk",
        requests=int(total.group(1)),
        seconds=float(seconds),
        requests_per_second=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        errors=errors,
    )


async def _run_httpx(
    url: str, headers: dict[str, str], seconds: int, connections: int
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.get(url)
                await response.aread()
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 400:
                errors += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=5) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return LoadResult(
        tool="httpx",
        requests=len(latencies),
        seconds=round(elapsed, 2),
        requests_per_second=round(len(latencies) / elapsed, 2),
        p50_ms=round(cuts[49], 2),
        p99_ms=round(cuts[98], 2),
        errors=errors,
    )


def run(url: str, headers: dict[str, str], *, seconds: int, connections: int) -> LoadResult:
    """Load `url` for `seconds` (capped at 60) with `connections` concurrent connections."""
    _check_loopback(url)
    seconds = max(1, min(seconds, 60))
    if shutil.which("wrk"):
        return run_wrk(url, headers, seconds, connections)
    return asyncio.run(_run_httpx(url, headers, seconds, connections))
