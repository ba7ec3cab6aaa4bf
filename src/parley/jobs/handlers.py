"""Which function runs each kind of job. Built by the composition root."""

from __future__ import annotations

from typing import Any

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.posts.polls import CLOSE_POLL_JOB, close_poll
from parley.infra.mail import send_mail
from parley.jobs.worker import Handler


def build_handlers(settings: Settings, db: Database) -> dict[str, Handler]:
    async def mail(payload: dict[str, Any]) -> None:
        await send_mail(
            settings, to=payload["to"], subject=payload["subject"], body=payload["body"]
        )

    async def poll_ended(payload: dict[str, Any]) -> None:
        async with db.transaction() as session:
            await close_poll(session, poll_id=int(payload["poll_id"]))

    return {"send_mail": mail, CLOSE_POLL_JOB: poll_ended}
