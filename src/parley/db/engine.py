"""Engine and session factory for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Set in a session's `info` by whoever queues a job in it (parley.jobs.queue.enqueue).
JOBS_QUEUED = "parley.jobs_queued"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def is_contention(exc: BaseException) -> bool:
    """A write that lost a race for a lock and may simply be tried again: SQLite's "database
    is locked" (another connection held the write lock past busy_timeout, or a read snapshot
    could not become a write), PostgreSQL's serialization failure or deadlock."""
    if not isinstance(exc, DBAPIError):
        return False
    if "database is locked" in str(exc.orig):
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40001", "40P01"}


INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def _storable(value: Any) -> Any:
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        return INT64_MAX if value > 0 else INT64_MIN
    if type(value) is str and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _clean(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {key: _storable(value) for key, value in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return type(parameters)(_storable(value) for value in parameters)
    return parameters


def _storable_parameters(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> tuple[str, Any]:
    """Client input the database cannot take would fail the statement and answer 500:
    - a whole number beyond 64 bits (`/@alice/99999999999999999999999`, `max_id=...`): both
      engines refuse it; it is clamped, so a lookup finds nothing and a bound stays a bound;
    - U+0000 in text (PostgreSQL cannot store it): it becomes U+FFFD."""
    if executemany:
        return statement, [_clean(each) for each in parameters]
    return statement, _clean(parameters)


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=True,
            # JIT compiling pays off for analytics, not for short web queries, where it can add
            # tens of milliseconds to a query the planner wrongly thinks is expensive.
            connect_args={"server_settings": {"jit": "off", "application_name": "parley"}},
        )
    event.listen(engine.sync_engine, "before_cursor_execute", _storable_parameters, retval=True)
    return engine


class Database:
    """The engine and its session factory; built once by create_app and passed around."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Called after a transaction that queued jobs commits (the worker wakes at once).
        self.after_jobs_committed: list[Callable[[], None]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
            if session.info.pop(JOBS_QUEUED, False):
                for hook in self.after_jobs_committed:
                    hook()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing it does is committed."""
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
