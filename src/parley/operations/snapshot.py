"""One consistent read of the whole database, on either engine.

SQLite: one read transaction (in WAL mode it sees the database as of its first read while
writers go on). Python's sqlite3 module does not begin a transaction before a SELECT, so
without the explicit BEGIN each query would see a different moment. PostgreSQL: one
REPEATABLE READ READ ONLY transaction, the snapshot pg_dump itself takes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.db.engine import is_sqlite, make_engine


def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def transactional_engine(database_url: str) -> AsyncEngine:
    """An engine whose transactions are real from their first statement on SQLite too
    (a snapshot for reads; DDL and rows committed or rolled back together for writes)."""
    engine = make_engine(database_url)
    if is_sqlite(database_url):
        event.listen(engine.sync_engine, "connect", _no_implicit_transactions)
        event.listen(engine.sync_engine, "begin", _begin)
    return engine


@asynccontextmanager
async def snapshot(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection whose every read sees the same moment; nothing it does is committed."""
    engine = transactional_engine(database_url)
    try:
        async with engine.connect() as connection:
            if not is_sqlite(database_url):
                connection = await connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            async with connection.begin() as transaction:
                try:
                    yield connection
                finally:
                    await transaction.rollback()
    finally:
        await engine.dispose()
