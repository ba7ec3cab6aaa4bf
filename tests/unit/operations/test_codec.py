"""Archived rows: every value comes back as the column's type reads it, whatever the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Boolean, Column, Float, LargeBinary, MetaData, Numeric, String, Table

from parley.db.base import UTCDateTime
from parley.operations.codec import RowDecoder, encode_row

TABLE = Table(
    "sample",
    MetaData(),
    Column("at", UTCDateTime()),
    Column("data", JSON),
    Column("flag", Boolean),
    Column("ratio", Float),
    Column("blob", LargeBinary),
    Column("amount", Numeric(asdecimal=True)),
    Column("text", String),
)
COLUMNS = [c.name for c in TABLE.c]


def test_values_survive_encoding_exactly() -> None:
    row = [
        datetime(2026, 11, 23, 23, 59, 59, 123456, tzinfo=UTC),
        {"nested": [1, "2026-11-23T00:00:00+00:00", None], "n": 2**62},
        True,
        0.1 + 0.2,
        b"\x00\xffbytes",
        Decimal("12.3400"),
        "two\nlines and a NUL-free \u00e9",
    ]
    decoded = RowDecoder(TABLE, COLUMNS).decode(encode_row(row))
    assert list(decoded.values()) == row
    # A string that looks like a date stays a string: kinds come from the table, not values.
    assert decoded["data"]["nested"][1] == "2026-11-23T00:00:00+00:00"


def test_nulls_stay_null() -> None:
    decoded = RowDecoder(TABLE, COLUMNS).decode(encode_row([None] * len(COLUMNS)))
    assert set(decoded.values()) == {None}


def test_archive_columns_may_come_in_another_order_or_be_fewer() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    decoded = RowDecoder(TABLE, ["text", "at"]).decode(encode_row(["x", when]))
    assert decoded == {"text": "x", "at": when}


@pytest.mark.parametrize("line", [b"{}", b"[1, 2]", b'"x"'])
def test_a_row_of_the_wrong_shape_is_refused(line: bytes) -> None:
    with pytest.raises(ValueError, match="columns"):
        RowDecoder(TABLE, COLUMNS).decode(line)
