"""Time-sortable, non-enumerable 64-bit IDs (the shape of Mastodon's snowflakes).

The high bits are milliseconds since the Unix epoch, the low 16 bits start at a random
value each millisecond, so IDs sort by creation time but cannot be walked by counting:
a scraper guessing the next ID must try tens of thousands of values per millisecond.
"""

from __future__ import annotations

import secrets
import threading
import time

_LOW_BITS = 16
_LOW_MASK = (1 << _LOW_BITS) - 1
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id(at_ms: int | None = None) -> int:
    """Return a fresh ID; `at_ms` backdates it (imports and bench data keep their order)."""
    global _last_ms, _counter
    if at_ms is not None:
        return (at_ms << _LOW_BITS) | secrets.randbits(_LOW_BITS)
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            _counter += 1 + secrets.randbelow(16)
            if _counter > _LOW_MASK:
                # Ran out of room in this millisecond: borrow the next one.
                _last_ms += 1
                _counter = secrets.randbits(_LOW_BITS - 1)
        else:
            _last_ms = now
            _counter = secrets.randbits(_LOW_BITS - 1)
        return (_last_ms << _LOW_BITS) | _counter


def id_floor_for_ms(ms: int) -> int:
    """The smallest ID created at or after `ms`: for time-bounded queries on ID ranges."""
    return ms << _LOW_BITS


def ms_of_id(value: int) -> int:
    return value >> _LOW_BITS


def is_id_text(value: str) -> bool:
    """Whether `value` is written like an ID: ASCII digits only (str.isdigit() alone also
    accepts digits int() refuses, such as "²", which would end a request in a 500)."""
    return value.isascii() and value.isdigit()
