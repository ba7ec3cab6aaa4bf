"""Which function runs each kind of job. Built by the composition root."""

from __future__ import annotations

from typing import Any

from parley.config import Settings
from parley.infra.mail import send_mail
from parley.jobs.worker import Handler


def build_handlers(settings: Settings) -> dict[str, Handler]:
    async def mail(payload: dict[str, Any]) -> None:
        await send_mail(
            settings, to=payload["to"], subject=payload["subject"], body=payload["body"]
        )

    return {"send_mail": mail}
