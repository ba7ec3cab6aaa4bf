"""What the `no_access` check costs per request, by how many ranges are blocked.

    python -m bench.ip_access [--addresses 20000]

For 0, 100 and 10,000 blocked ranges (prefix lengths /8 to /32 and IPv6 /32 to /128), each
address of a mixed list (a third inside a blocked range) is checked by:
- edge: `IpAccess.blocked(address)` on its cached list, as the middleware calls it (the list
  is loaded once from a stub: no database in the timing);
- naive: `any(address in network ...)`, how the sign-in check matches (and what the edge
  would cost without its per-prefix sets).

Reference, in the same run on the same addresses: `client_address(scope, trusted)`, working
out the client's address from the ASGI scope, which every request already pays. The ratios
say what the check adds over that.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import random
import statistics
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bench import report
from parley.domain.moderation import ip_blocks
from parley.domain.moderation.ip_blocks import LiveBlock
from parley.edge.caller import IPAddress, IPNetwork, client_address, parse_networks
from parley.edge.ip_access import IpAccess
from parley.infra.pubsub import MemoryBroker

ROUNDS = 5


def networks(count: int, rng: random.Random) -> list[IPNetwork]:
    found: set[IPNetwork] = set()
    while len(found) < count:
        if rng.random() < 0.7:
            prefix = rng.choice([8, 16, 20, 24, 24, 28, 32, 32])
            raw = rng.getrandbits(32)
            found.add(ipaddress.IPv4Network((raw, prefix), strict=False))
        else:
            prefix = rng.choice([32, 48, 64, 64, 128])
            found.add(ipaddress.IPv6Network((rng.getrandbits(128), prefix), strict=False))
    return sorted(found, key=lambda n: (n.version, n.network_address))


def addresses(blocked: list[IPNetwork], count: int, rng: random.Random) -> list[IPAddress]:
    result: list[IPAddress] = []
    for i in range(count):
        if blocked and i % 3 == 0:
            net = rng.choice(blocked)
            offset = rng.randrange(net.num_addresses) if net.num_addresses > 1 else 0
            result.append(net.network_address + offset)
        elif i % 2:
            result.append(ipaddress.IPv4Address(rng.getrandbits(32)))
        else:
            result.append(ipaddress.IPv6Address(rng.getrandbits(128)))
    return result


class StubDatabase:
    @asynccontextmanager
    async def reader(self) -> AsyncIterator[None]:
        yield None


def per_check(run: Callable[[], Any], count: int) -> float:
    """The best of ROUNDS passes over the addresses, in microseconds per check."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


async def measure(count: int, total: int, rng: random.Random) -> dict[str, Any]:
    blocked = networks(count, rng)
    items = addresses(blocked, total, rng)
    live = [LiveBlock(net, "no_access", None) for net in blocked]

    async def stub(*_args: object, **_kwargs: object) -> list[LiveBlock]:
        return live

    ip_blocks.live_ip_blocks = stub  # this process is the bench
    access = IpAccess(StubDatabase(), MemoryBroker())  # type: ignore[arg-type]
    await access.blocked(items[0])  # loads the list once

    async def edge(subset: Sequence[IPAddress]) -> int:
        return sum([await access.blocked(a) for a in subset])

    # The naive match is slow with many ranges: it gets fewer addresses (per-check figures).
    sample = items[: max(200, total * 100 // max(count, 100))]

    def naive() -> int:
        return sum(any(a in net for net in blocked) for a in sample)

    trusted = parse_networks("127.0.0.1,::1")
    scopes = [{"type": "http", "client": (str(a), 40000), "headers": []} for a in items]

    def reference() -> int:
        return sum(client_address(s, trusted) is not None for s in scopes)

    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        hits = await edge(items)
        best = min(best, time.perf_counter() - start)
    edge_us = best / total * 1e6
    assert await edge(sample) == naive(), "the edge and the naive match disagree"
    naive_us = per_check(naive, len(sample))
    ref_us = per_check(reference, total)
    return {
        "ranges": count,
        "addresses": total,
        "blocked_addresses": hits,
        "reference_client_address_us": round(ref_us, 3),
        "edge_us": round(edge_us, 3),
        "naive_us": round(naive_us, 3),
        "ratio_edge_to_reference": round(edge_us / ref_us, 2),
        "ratio_naive_to_reference": round(naive_us / ref_us, 2),
    }


async def run(total: int, counts: Sequence[int]) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [await measure(count, total, rng) for count in counts]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ip_access")
    parser.add_argument("--addresses", type=int, default=20_000)
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.addresses, (0, 100, 10_000)))
    for row in rows:
        print(row)
    report.write("ip-access", {"scenario": "ip_access", "rounds": ROUNDS, "by_ranges": rows,
                               "median_ratio_edge_to_reference": round(statistics.median(
                                   r["ratio_edge_to_reference"] for r in rows), 2)})  # fmt: skip


if __name__ == "__main__":
    main()
