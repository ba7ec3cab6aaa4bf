"""Alembic environment: runs migrations on the async engine given by parley.db.migrate."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.db.base import Base
from parley.db.engine import make_engine
from parley.domain import models  # noqa: F401  (registers every table on Base.metadata)

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async(make_engine(config.get_main_option("sqlalchemy.url") or "")))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `parley migrate`")
run_migrations_online()
