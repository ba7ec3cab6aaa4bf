"""Rendering shortcuts that must not change a byte: the hand-written ISO times and the
account rendered once per response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from parley.mastodon.entities import iso


def _strftime_iso(value: datetime) -> str:
    """What `iso` wrote before it formatted by hand."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@given(st.datetimes())  # years 1 to 9999
def test_iso_writes_what_strftime_writes(value: datetime) -> None:
    assert iso(value.replace(tzinfo=UTC)) == _strftime_iso(value.replace(tzinfo=UTC))


def test_iso_of_a_typical_time() -> None:
    value = datetime(2026, 11, 24, 3, 4, 5, 678901, tzinfo=UTC)
    assert iso(value) == "2026-11-24T03:04:05.678Z"
    assert iso(value + timedelta(microseconds=-678901)) == "2026-11-24T03:04:05.000Z"
    assert iso(None) is None
