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

import orjson
from sqlalchemy import Integer, Table, and_, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.operations.archive import ArchiveReader, TableDump, table_member
from parley.operations.codec import RowDecoder
from parley.operations.errors import DamagedArchive
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
    deferred = _deferred_columns(table, dump, position)
    keys = [c.name for c in table.primary_key.columns]
    insert = table.insert()
    rows = 0
    with reader.open(table_member(dump.name)) as member:
        lines = member.lines()
        try:
            header = orjson.loads(next(lines, b""))
        except orjson.JSONDecodeError as exc:
            raise DamagedArchive(f"{member.name} has no header line") from exc
        if header != {"table": dump.name, "columns": dump.columns}:
            raise DamagedArchive(f"{member.name} does not match the manifest's table entry")
        batch: list[dict[str, Any]] = []
        for line in lines:
            try:
                row = decoder.decode(line)
            except (ValueError, TypeError) as exc:
                raise DamagedArchive(f"{member.name}: row {rows + 1} is malformed ({exc})") from exc
            for rule in deferred:
                value = row[rule.column]
                if value is None or (rule.ordered_on and value <= row[rule.ordered_on]):
                    continue
                fixups.pending[(table.name, rule.column)].append(({k: row[k] for k in keys}, value))
                row[rule.column] = None
            batch.append(row)
            if len(batch) >= BATCH:
                await connection.execute(insert, batch)
                rows += len(batch)
                progress.advance(len(batch))
                batch = []
        if batch:
            await connection.execute(insert, batch)
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
