"""The media jobs, registered by the composition root."""

from __future__ import annotations

from typing import Any

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.media import service
from parley.infra.storage import open_store
from parley.jobs.worker import Handler


def media_handlers(settings: Settings, db: Database) -> dict[str, Handler]:
    async def process(payload: dict[str, Any]) -> None:
        await service.process_pending(db, open_store(settings), int(payload["media_id"]))

    async def expire(payload: dict[str, Any]) -> None:
        async with db.transaction() as session:
            await service.expire_upload(session, open_store(settings), int(payload["media_id"]))

    return {service.PROCESS_JOB: process, service.EXPIRE_JOB: expire}
