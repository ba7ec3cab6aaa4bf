"""Bench results: one JSON file per scenario and dataset under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": round(load[0], 2),
    }


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def git_commit() -> str | None:
    """HEAD, with `+dirty` when the tree had uncommitted changes under src/."""
    commit = _git("rev-parse", "--short", "HEAD")
    if commit and _git("status", "--porcelain", "--", "../src"):
        commit += "+dirty"
    return commit


def database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def milliseconds(seconds: list[float]) -> dict[str, float]:
    values = [s * 1000 for s in seconds]
    return {
        "median_ms": round(statistics.median(values), 2),
        "min_ms": round(min(values), 2),
        "max_ms": round(max(values), 2),
    }


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        **payload,
    }
    target = RESULTS / f"{name}.json"
    target.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results: {target}")
    return target


def publish(scenario: str, size: str, database_url: str, results: dict[str, Any]) -> Path:
    """Prints the figures, then writes them as results/<scenario>-<size>-<database>.json."""
    for key, value in results.items():
        print(f"{key:>28}: {value}")
    return write(
        f"{scenario}-{size}-{database_kind(database_url)}",
        {"scenario": scenario, "dataset": size, **results},
    )
