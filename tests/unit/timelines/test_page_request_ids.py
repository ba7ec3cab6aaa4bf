"""Paging cursors: anything that is not written like an ID is a clear Invalid, never a 500."""

from __future__ import annotations

import pytest

from parley.domain.errors import Invalid
from parley.domain.pagination import PageRequest


@pytest.mark.parametrize("cursor", ["²", "١٢٣", "12a", "-5", "1" * 21])
def test_a_cursor_not_written_like_an_id_is_invalid(cursor: str) -> None:
    with pytest.raises(Invalid):
        PageRequest.parse(max_id=cursor)


def test_ascii_digits_are_a_cursor() -> None:
    assert PageRequest.parse(max_id="123", since_id="", min_id=None).max_id == 123
