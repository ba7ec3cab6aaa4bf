"""Instances to back up and restore, on SQLite and on a real PostgreSQL in the same run.

Moving between engines is the point, so these tests need both whatever PARLEY_TEST_DATABASE
says: the suite's databases, plus the other kind started here (once per session).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from parley.app import create_app
from parley.config import Settings
from parley.db.base import Base
from parley.db.engine import make_engine
from parley.domain import models  # noqa: F401  (every table on Base.metadata)
from parley.runtime import Runtime
from tests.conftest import Members
from tests.databases import Databases, TestDatabases
from tests.integration.mastodon.conftest import Api

DOMAIN = "parley.test"


class Engines:
    """The suite's databases, and the other kind started on first use."""

    def __init__(self, databases: Databases, root: Path) -> None:
        self.kind = os.environ.get("PARLEY_TEST_DATABASE", "sqlite")
        self.made: dict[str, Databases] = {self.kind: databases}
        self.root = root

    def __getitem__(self, kind: str) -> Databases:
        if kind not in self.made:
            (self.root / kind).mkdir()
            if kind == "postgresql":
                from tests.postgres import PostgresDatabases

                start: type[Databases] = PostgresDatabases
            else:
                start = TestDatabases
            # Both migrate with asyncio.run, which an async test's running loop forbids.
            with ThreadPoolExecutor(1) as thread:
                self.made[kind] = thread.submit(start, self.root / kind).result()
        return self.made[kind]

    def close(self) -> None:
        for kind, made in self.made.items():
            if kind != self.kind:
                made.close()


@pytest.fixture(scope="session")
def engines(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    made = Engines(databases, tmp_path_factory.mktemp("engines"))
    yield made
    made.close()


def instance_settings(database_url: str, folder: Path, **changes: Any) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "domain": DOMAIN,
        "database_url": database_url,
        "data_dir": folder,
        "media_dir": folder / "media",
        "secret_key": "test-secret-key-not-for-production",
        "password_time_cost": 1,
        "password_memory_cost_kib": 1024,
        "embedded_worker": False,
        "cookie_secure": False,
    }
    return Settings(**(values | changes))


@dataclass
class Instance:
    settings: Settings
    runtime: Runtime
    api: Api


@pytest.fixture
async def source(
    engines: Engines, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Instance]:
    """An instance on the engine the test is parametrized with, else the suite's."""
    kind = getattr(request, "param", engines.kind)
    folder = tmp_path / "source"
    folder.mkdir()
    url = engines[kind].fresh(folder)
    settings = instance_settings(url, folder)
    app = create_app(settings, run_worker=False)
    runtime: Runtime = app.state.runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as client:
        yield Instance(settings, runtime, Api(runtime, Members(runtime), client))
    await runtime.db.dispose()
    engines[kind].release(url)


async def table_rows(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in primary-key order, as the tables' types read them."""
    engine = make_engine(database_url)
    rows: dict[str, list[tuple[object, ...]]] = {}
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                result = await connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                )
                rows[table.name] = [tuple(row) for row in result]
    finally:
        await engine.dispose()
    return rows


def media_tree(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
