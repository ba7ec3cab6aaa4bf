"""Cursor pagination over time-sortable IDs (Mastodon's max_id / since_id / min_id / limit).

Every list read takes a PageRequest and returns items newest first. `min_id` pages forward
from a point (the items just after it, oldest of those first fetched, returned newest first),
which is how clients fill a gap; `since_id` returns the newest items above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from parley.db.ids import is_id_text
from parley.domain.errors import Invalid

Ts = TypeVarTuple("Ts")
DEFAULT_LIMIT = 20
MAX_LIMIT = 40


@dataclass(frozen=True, slots=True)
class PageRequest:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    @classmethod
    def parse(
        cls,
        *,
        max_id: str | None = None,
        since_id: str | None = None,
        min_id: str | None = None,
        limit: str | int | None = None,
        max_limit: int = MAX_LIMIT,
        default_limit: int = DEFAULT_LIMIT,
    ) -> PageRequest:
        """Build from query-string values; bad IDs are an Invalid, a big limit is clamped."""

        def as_id(name: str, value: str | None) -> int | None:
            if value in (None, ""):
                return None
            assert value is not None
            if not is_id_text(value) or len(value) > 20:
                raise Invalid(name, f"{name} must be an ID")
            return int(value)

        if limit in (None, ""):
            size = default_limit
        else:
            try:
                size = int(limit)
            except ValueError as exc:
                raise Invalid("limit", "limit must be a number") from exc
        return cls(
            max_id=as_id("max_id", max_id),
            since_id=as_id("since_id", since_id),
            min_id=as_id("min_id", min_id),
            limit=max(1, min(size, max_limit)),
        )

    def apply(self, stmt: Select[*Ts], key: InstrumentedAttribute[int]) -> Select[*Ts]:
        """Restrict and order `stmt` by `key` for this page (reverse with `reverse_if_min`)."""
        if self.max_id is not None:
            stmt = stmt.where(key < self.max_id)
        if self.since_id is not None:
            stmt = stmt.where(key > self.since_id)
        if self.min_id is not None:
            return stmt.where(key > self.min_id).order_by(key.asc()).limit(self.limit)
        return stmt.order_by(key.desc()).limit(self.limit)

    def newest_first(self, items: list[Any]) -> list[Any]:
        """Items fetched by `apply`, newest first whichever direction they were read in."""
        return list(reversed(items)) if self.min_id is not None else items
