"""Which kinds of rows this process has changed: what lets the adapter keep a few rarely
changing rows in memory (parley.mastodon.grants, parley.mastodon.filtering) and still answer
from the database's truth right after a change.

A `Watch` names tables (and the columns that matter, or all) and counts the commits in this
process that changed them. Every ORM session is watched, whichever door wrote: a loaded row
changed and flushed, a row added or deleted, a bulk UPDATE or DELETE. A memory compares the
count with the one it last saw and starts again when it moved. Each commit is also announced
on the broker of the database's app (parley.infra.announce), so that the other processes
joined by Redis start again too (any process building the stream listeners announces: web
processes and a separate `parley worker`). Changes written with raw SQL, or by a `parley admin`
command (it exits before announcing), are not seen: memories also expire on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql.dml import Delete, Insert, Update

from parley.infra.announce import announce, listen
from parley.infra.pubsub import Broker, MemoryBroker

ANY = None  # any column of the table


class Watch:
    """Commits changing `tables` (name -> the columns that matter, or ANY); with `added`,
    new rows count too."""

    def __init__(
        self, channel: str, tables: Mapping[str, frozenset[str] | None], *, added: bool
    ) -> None:
        self.channel = channel
        self.tables = dict(tables)
        self.added = added
        self.committed = 0
        # The broker joining processes of each database's app, to announce commits on.
        self.brokers: weakref.WeakKeyDictionary[Any, Broker] = weakref.WeakKeyDictionary()
        _WATCHES.append(self)

    def announce_on(self, broker: Broker, engine: Engine) -> None:
        if not isinstance(broker, MemoryBroker):
            self.brokers[engine] = broker

    def _statement(self, statement: Any) -> bool:
        if not isinstance(statement, Update | Delete | Insert):
            return False
        name = str(getattr(statement.table, "name", ""))
        if name not in self.tables:
            return False
        if isinstance(statement, Insert):
            return self.added
        columns = self.tables[name]
        values = getattr(statement, "_values", None)
        if isinstance(statement, Delete) or columns is None or not values:
            return True  # no values: a bulk update by primary keys, assumed to matter
        return bool({getattr(column, "key", column) for column in values} & columns)

    def _flushed(self, session: Session) -> bool:
        for obj in session.deleted:
            if getattr(obj, "__tablename__", None) in self.tables:
                return True
        if self.added:
            for obj in session.new:
                if getattr(obj, "__tablename__", None) in self.tables:
                    return True
        for obj in session.dirty:
            name = getattr(obj, "__tablename__", "")
            if name not in self.tables:
                continue
            attrs = inspect(obj).attrs
            columns = self.tables[name]
            names = attrs.keys() if columns is None else columns & set(attrs.keys())
            if any(attrs[n].history.has_changes() for n in names):
                return True
        return False


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memory(Generic[K, V]):
    """Values by key for at most `ttl` seconds, all dropped when `watch` counts a commit here
    or another process announces one. A value read before a drop is not kept (`generation`)."""

    def __init__(
        self,
        watch: Watch,
        broker: Broker,
        *,
        ttl: float,
        limit: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watch = watch
        self.broker = broker
        self.ttl = ttl
        self.limit = limit  # past this the memory starts again (many keys: busy, or abuse)
        self.clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._seen = watch.committed
        self._heard = 0  # announcements from other processes
        self._listener: asyncio.Task[None] | None = None
        self._listens = not isinstance(broker, MemoryBroker)

    def generation(self) -> tuple[int, int]:
        """Changes seen so far; pass it to `put` to keep what was read after this point."""
        return self.watch.committed, self._heard

    def get(self, key: K) -> V | None:
        if self._listens and self._listener is None:
            self._listener = asyncio.create_task(
                listen(self.broker, self.watch.channel, self._news), name=self.watch.channel
            )
            # Ended by the app's shutdown (`stop_listening`) while the broker is still open.
            _LISTENERS.setdefault(self.broker, set()).add(self._listener)
        if self._seen != self.watch.committed:
            self.forget()
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: K, value: V, generation: tuple[int, int]) -> None:
        if generation != self.generation():
            return  # something changed while the value was being read
        if len(self._entries) >= self.limit:
            self._entries.clear()
        self._entries[key] = (self.clock() + self.ttl, value)

    def forget(self) -> None:
        self._entries.clear()
        self._seen = self.watch.committed

    def __len__(self) -> int:
        return len(self._entries)

    def _news(self) -> None:
        self._heard += 1
        self.forget()


_WATCHES: list[Watch] = []
# The memories' listeners by the broker they listen on (one per app in this process).
_LISTENERS: weakref.WeakKeyDictionary[Broker, set[asyncio.Task[None]]] = weakref.WeakKeyDictionary()


async def stop_listening(broker: Broker) -> None:
    """Cancel the listeners on `broker` (the app's shutdown, before the broker closes: a
    listener cancelled later would unsubscribe over a new connection nobody closes)."""
    tasks = _LISTENERS.pop(broker, set())
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


_ANNOUNCING: set[asyncio.Task[None]] = set()


def _key(watch: Watch) -> str:
    return f"parley.watch.{watch.channel}"


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    for watch in _WATCHES:
        if watch._statement(state.statement):
            state.session.info[_key(watch)] = True


def _on_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    for watch in _WATCHES:
        if _key(watch) not in session.info and watch._flushed(session):
            session.info[_key(watch)] = True


def _on_commit(session: Session) -> None:
    for watch in _WATCHES:
        if not session.info.pop(_key(watch), False):
            continue
        watch.committed += 1
        broker = watch.brokers.get(session.bind) if session.bind is not None else None
        if broker is None:
            continue
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a synchronous session: nothing to announce on
            continue
        task = loop.create_task(announce(broker, watch.channel))
        _ANNOUNCING.add(task)
        task.add_done_callback(_ANNOUNCING.discard)


def _listen_once() -> None:
    if event.contains(Session, "after_commit", _on_commit):
        return
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_flush", _on_flush)
    # Not cleared on rollback: a spare restart costs a lookup, a missed one a stale answer.
    event.listen(Session, "after_commit", _on_commit)


_listen_once()
