"""Test databases: a migrated SQLite template copied per test, or a real PostgreSQL server.

Migrations run once per session into a template; each test then gets its own copy (SQLite)
or its own database cloned from the template (PostgreSQL `CREATE DATABASE ... TEMPLATE`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Protocol

from parley.db.engine import make_engine
from parley.db.migrate import upgrade


def _migrate(url: str) -> None:
    async def run() -> None:
        engine = make_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


class Databases(Protocol):
    """What the fixtures need from a kind of test database."""

    def fresh(self, tmp_path: Path) -> str:
        """A migrated, empty database of its own for one test: its URL."""

    def release(self, url: str) -> None:
        """Drop what `fresh` made."""

    def close(self) -> None:
        """Stop whatever serves the databases."""


class TestDatabases:
    __test__ = False  # not a test class, despite the name

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        _migrate(f"sqlite+aiosqlite:///{self.template}")

    @classmethod
    def from_environment(cls, root: Path) -> Databases:
        kind = os.environ.get("PARLEY_TEST_DATABASE", "sqlite")
        if kind == "postgresql":
            from tests.postgres import PostgresDatabases

            return PostgresDatabases(root)
        if kind != "sqlite":
            raise ValueError(f"PARLEY_TEST_DATABASE must be sqlite or postgresql, not {kind!r}")
        return cls(root)

    def fresh(self, tmp_path: Path) -> str:
        target = tmp_path / "parley.db"
        shutil.copyfile(self.template, target)
        return f"sqlite+aiosqlite:///{target}"

    def release(self, url: str) -> None:
        """Files under tmp_path are cleaned by pytest."""

    def close(self) -> None:
        """Nothing to stop for SQLite."""
