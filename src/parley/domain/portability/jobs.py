"""The portability jobs, registered by the composition root (which gives the context that
can resolve remote accounts)."""

from __future__ import annotations

from typing import Any

from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.domain.portability import imports
from parley.jobs.worker import Handler


def portability_handlers(db: Database, ctx: DomainContext) -> dict[str, Handler]:
    async def run(payload: dict[str, Any]) -> None:
        await imports.run_import(db, ctx, int(payload["import_id"]))

    return {imports.IMPORT_JOB: run}
