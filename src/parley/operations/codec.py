"""Rows as JSON lines that any engine can load back: one JSON array per row.

Values are read and written through the tables' own SQLAlchemy types, so a row read from
SQLite and one read from PostgreSQL encode the same way. JSON has no datetime, bytes or
decimal: those are written as strings and turned back by the column's kind, which the
restoring side takes from its own table definitions (never guessed from the value).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Column, Table
from sqlalchemy import types as sqltypes

Decoder = Callable[[Any], Any]


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot archive a {type(value).__name__}")


def encode_row(values: Sequence[Any]) -> bytes:
    """One row as a JSON array (no newline); datetimes keep microseconds and their offset."""
    return orjson.dumps(list(values), default=_default)


def _base_type(column: Column[Any]) -> sqltypes.TypeEngine[Any]:
    kind: sqltypes.TypeEngine[Any] = column.type
    while isinstance(kind, sqltypes.TypeDecorator):
        kind = kind.impl_instance
    return kind


def _decoder(column: Column[Any]) -> Decoder | None:
    kind = _base_type(column)
    if isinstance(kind, sqltypes.DateTime):
        return datetime.fromisoformat
    if isinstance(kind, sqltypes.Date):
        return date.fromisoformat
    if isinstance(kind, sqltypes.Time):
        return time.fromisoformat
    if isinstance(kind, sqltypes.LargeBinary | sqltypes.BINARY | sqltypes.VARBINARY):
        return base64.b64decode
    if isinstance(kind, sqltypes.Numeric) and kind.asdecimal:
        return Decimal
    if isinstance(kind, sqltypes.Uuid) and kind.as_uuid:
        return uuid.UUID
    return None


class RowDecoder:
    """Turns archived rows of one table (columns in the archive's order) into insert params."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.decoders = [_decoder(table.c[name]) for name in columns]
        self.converted = [(i, d) for i, d in enumerate(self.decoders) if d is not None]

    def decode_list(self, line: bytes) -> list[Any]:
        """The row's values, in the archive's column order."""
        values = orjson.loads(line)
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise ValueError("a row does not have the table's columns")
        for index, decode in self.converted:
            value = values[index]
            if value is not None:
                values[index] = decode(value)
        return values

    def decode(self, line: bytes) -> dict[str, Any]:
        return dict(zip(self.columns, self.decode_list(line), strict=True))
