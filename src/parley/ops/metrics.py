"""Prometheus metrics of one process (docs/operations.md).

Each app has its own registry, so tests and several apps in one process do not mix counts.
With several server processes, each answers /metrics with its own counters, unless
PROMETHEUS_MULTIPROC_DIR is set (before start), in which case the counters of every process
are summed from that directory, as prometheus-client's multiprocess mode does.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "parley_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "parley_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template",
            ["route"],
            buckets=BUCKETS,
            registry=r,
        )
        self.limited = Counter(
            "parley_rate_limited",
            "Requests refused with 429, by door and limit",
            ["door", "limit"],
            registry=r,
        )
        self.challenges = Counter(
            "parley_under_attack_challenges",
            "Proof-of-work challenges served, solved and failed",
            ["outcome"],
            registry=r,
        )
        self.page_cache = Counter(
            "parley_page_cache_requests",
            "Signed-in requests for a kept page (/home): served from memory or rendered",
            ["outcome"],
            registry=r,
        )
        # Sampled when /metrics is scraped.
        self.queue = Gauge(
            "parley_job_queue_depth",
            "Background jobs: queued (all), due (queued and past their run time), failed",
            ["state"],
            registry=r,
            multiprocess_mode="max",
        )
        self.queue_oldest = Gauge(
            "parley_job_queue_oldest_due_seconds",
            "How long the oldest due job has waited",
            registry=r,
            multiprocess_mode="max",
        )
        self.under_attack = Gauge(
            "parley_under_attack",
            "1 while under-attack mode is on (manual or automatic)",
            registry=r,
            multiprocess_mode="max",
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def rate_limited(self, door: str, limit: str) -> None:
        self.limited.labels(door, limit).inc()

    def page(self, outcome: str) -> None:
        self.page_cache.labels(outcome).inc()

    def challenged(self, outcome: str) -> None:
        self.challenges.labels(outcome).inc()

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
            return generate_latest(combined)
        return generate_latest(self.registry)
