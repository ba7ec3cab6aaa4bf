"""The portability jobs, registered by the composition root (which gives the context that
can resolve remote accounts and read archives)."""

from __future__ import annotations

from typing import Any

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.domain.errors import DomainError
from parley.domain.portability import archive, imports
from parley.domain.portability.models import AccountImport, ImportState
from parley.infra.storage import open_store
from parley.jobs.worker import Handler


def portability_handlers(db: Database, ctx: DomainContext) -> dict[str, Handler]:
    async def run(payload: dict[str, Any]) -> None:
        import_id = int(payload["import_id"])
        async with db.reader() as session:
            task = await session.get(AccountImport, import_id)
        try:
            if task is not None and task.kind == archive.POSTS_KIND:
                await archive.run_archive_import(db, ctx, open_store(ctx.settings), import_id)
            else:
                await imports.run_import(db, ctx, import_id)
        except DomainError as exc:  # will not get better by retrying: tell the member
            async with db.transaction() as session:
                stored = await session.get(AccountImport, import_id)
                if stored is not None:
                    stored.state, stored.error = ImportState.FAILED, exc.message
                    stored.finished_at = utcnow()

    return {imports.IMPORT_JOB: run}
