"""Migration 0001 is regenerated from the models until the first release: this catches a model
change committed without its regenerated migration (`scripts/regenerate-initial-migration`)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from parley.db.base import Base
from parley.domain import models  # noqa: F401  (registers every table on Base.metadata)
from parley.runtime import Runtime


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_schema_is_the_models_schema(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == [], "run scripts/regenerate-initial-migration"
