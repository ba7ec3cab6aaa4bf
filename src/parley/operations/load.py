"""Loading an archive's tables into a database, inside the caller's one transaction.

Tables go in referenced-first order, each table's rows in primary-key order (as dumped).
A reference that cannot be satisfied yet (a row pointing at a later row of its own table, or
at a table that comes later in a cycle) is loaded as NULL and set once every row is in, so
foreign keys hold at every statement on both engines without disabling any check.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import Integer, Table, and_, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.operations.archive import ArchiveReader, TableDump, table_member
from parley.operations.codec import RowDecoder
from parley.operations.errors import DamagedArchive, OperationRefused
from parley.operations.progress import Reporter

BATCH = 2000


@dataclass(frozen=True, slots=True)
class _Deferred:
    column: str
    # Only a reference to a smaller id of the same table is already loaded (rows go in
    # primary-key order); any other value waits for the fix-up pass.
    ordered_on: str | None


@dataclass(slots=True)
class Fixups:
    """References loaded as NULL, to set at the end: (table, column) -> [(pk values, value)]."""

    pending: dict[tuple[str, str], list[tuple[dict[str, Any], Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    async def apply(self, connection: AsyncConnection, tables: dict[str, Table]) -> None:
        for (name, column), items in self.pending.items():
            table = tables[name]
            keys = [c.name for c in table.primary_key.columns]
            statement = (
                update(table)
                .where(and_(*(table.c[k] == bindparam(f"pk_{k}") for k in keys)))
                .values({column: bindparam("fixed_value")})
            )
            await connection.execute(
                statement,
                [{**{f"pk_{k}": pk[k] for k in keys}, "fixed_value": value} for pk, value in items],
            )


def _deferred_columns(table: Table, dump: TableDump, position: dict[str, int]) -> list[_Deferred]:
    found = []
    keys = list(table.primary_key.columns)
    for fk in table.foreign_keys:
        column = fk.parent
        if column.name not in dump.columns or not column.nullable:
            continue
        target = fk.column.table
        if target is table:
            ordered = keys[0].name if len(keys) == 1 and fk.column is keys[0] else None
            found.append(_Deferred(column.name, ordered))
        elif position.get(target.name, -1) > position[table.name]:
            found.append(_Deferred(column.name, None))
    return found


class _Insert:
    """One table's INSERT, compiled once for the target's dialect, run with positional rows.

    Building each row's parameters through Core costs more than the database's own work
    (measured: 60% of a restore's CPU); here every column's bind processor (the same one
    Core would apply) is looked up once and each row is one tuple. When the archive lacks a
    column that has a Python-side default, Core fills it: the plain Core insert is used.
    """

    def __init__(self, connection: AsyncConnection, table: Table, columns: list[str]) -> None:
        dialect = connection.dialect
        self.connection = connection
        self.table = table
        self.columns = columns
        compiled = table.insert().compile(dialect=dialect, column_keys=columns)
        order = list(compiled.positiontup or [])
        self.names = order
        self.positional = sorted(order) == sorted(columns)
        self.sql = str(compiled)
        # Rows come in the archive's column order; the statement may want another.
        index = {name: i for i, name in enumerate(columns)}
        self.order = [index[name] for name in order] if order != columns else None
        processors = [
            (index[name], table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in order
        ]
        self.processors = [(i, process) for i, process in processors if process is not None]

    async def run(self, rows: list[list[Any]]) -> None:
        if not self.positional:
            await self.connection.execute(
                self.table.insert(), [dict(zip(self.columns, row, strict=True)) for row in rows]
            )
            return
        for row in rows:
            for i, process in self.processors:
                value = row[i]
                if value is not None:
                    row[i] = process(value)
        order = self.order
        params = (
            [tuple(row) for row in rows]
            if order is None
            else [tuple([row[i] for i in order]) for row in rows]
        )
        if self.connection.dialect.driver == "asyncpg":
            # COPY, as pg_restore loads: several times the rows per second of a prepared
            # INSERT. The values are already what asyncpg's codecs take (same processors).
            driver = (await self.connection.get_raw_connection()).driver_connection
            assert driver is not None
            try:
                await driver.copy_records_to_table(
                    self.table.name, records=params, columns=self.names
                )
            except asyncpg.PostgresError as exc:  # the driver's own: SQLAlchemy never saw it
                raise OperationRefused(
                    f"the database refused a row of {self.table.name}: {exc}; nothing was restored"
                ) from exc
            return
        await self.connection.exec_driver_sql(self.sql, params)


async def load_table(
    connection: AsyncConnection,
    reader: ArchiveReader,
    table: Table,
    dump: TableDump,
    position: dict[str, int],
    fixups: Fixups,
    progress: Reporter,
) -> None:
    decoder = RowDecoder(table, dump.columns)
    at = {name: i for i, name in enumerate(dump.columns)}
    deferred = [
        (at[rule.column], at[rule.ordered_on] if rule.ordered_on else None, rule.column)
        for rule in _deferred_columns(table, dump, position)
    ]
    keys = [(c.name, at[c.name]) for c in table.primary_key.columns]
    insert = _Insert(connection, table, dump.columns)
    rows = 0
    with reader.open(table_member(dump.name)) as member:
        lines = member.lines()
        try:
            header = orjson.loads(next(lines, b""))
        except orjson.JSONDecodeError as exc:
            raise DamagedArchive(f"{member.name} has no header line") from exc
        if header != {"table": dump.name, "columns": dump.columns}:
            raise DamagedArchive(f"{member.name} does not match the manifest's table entry")
        batch: list[list[Any]] = []
        for line in lines:
            try:
                row = decoder.decode_list(line)
            except (ValueError, TypeError) as exc:
                raise DamagedArchive(f"{member.name}: row {rows + 1} is malformed ({exc})") from exc
            for index, ordered_on, name in deferred:
                value = row[index]
                if value is None or (ordered_on is not None and value <= row[ordered_on]):
                    continue
                fixups.pending[(table.name, name)].append(({k: row[i] for k, i in keys}, value))
                row[index] = None
            batch.append(row)
            if len(batch) >= BATCH:
                await insert.run(batch)
                rows += len(batch)
                progress.advance(len(batch))
                batch = []
        if batch:
            await insert.run(batch)
            rows += len(batch)
            progress.advance(len(batch))
        member.check()
    if rows != dump.rows:
        raise DamagedArchive(f"{member.name} holds {rows} rows, its manifest says {dump.rows}")


async def empty_tables(connection: AsyncConnection, tables: list[Table]) -> None:
    """--force: delete every row, dependents first (in the load's transaction)."""
    for table in reversed(tables):
        await connection.execute(delete(table))


async def reset_sequences(connection: AsyncConnection, tables: list[Table]) -> None:
    """PostgreSQL: a serial or identity key continues after the highest restored value.
    (Parley's own ids are made in Python; this is for any table that uses a sequence.)"""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0]
        sequence = await connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        )
        if sequence is None:
            continue
        highest = await connection.scalar(select(func.max(column)))
        await connection.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": highest or 1, "called": highest is not None},
        )
