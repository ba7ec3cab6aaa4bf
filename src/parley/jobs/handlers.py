"""Which function runs each kind of job. Built by the composition root.

Domain events (`event.<name>` jobs, see parley.domain.events) are fanned out to one job per
listening adapter (`listen.<adapter>.<name>`), so each adapter retries on its own: a failed
delivery never replays a streaming message, and the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.domain.events import JOB_PREFIX, Event
from parley.domain.moderation.escalation import ESCALATE_JOB, WEBHOOK_JOB, escalate_report
from parley.domain.posts.polls import CLOSE_POLL_JOB, close_poll
from parley.domain.scheduled.service import PUBLISH_SCHEDULED_JOB, publish_scheduled_post
from parley.infra.mail import send_mail
from parley.infra.webhooks import post_webhook
from parley.jobs.queue import enqueue
from parley.jobs.worker import Handler

LISTEN_PREFIX = "listen."
# adapter name -> event name -> listener
Listeners = Mapping[str, Mapping[str, Handler]]


def event_names() -> list[str]:
    return [value for key, value in vars(Event).items() if key.isupper()]


def build_handlers(
    settings: Settings,
    db: Database,
    *,
    listeners: Listeners | None = None,
    extra: Mapping[str, Handler] | None = None,
) -> dict[str, Handler]:
    listeners = listeners or {}

    async def mail(payload: dict[str, Any]) -> None:
        await send_mail(
            settings, to=payload["to"], subject=payload["subject"], body=payload["body"]
        )

    async def poll_ended(payload: dict[str, Any]) -> None:
        async with db.transaction() as session:
            await close_poll(session, poll_id=int(payload["poll_id"]))

    ctx = DomainContext.from_settings(settings)

    async def publish_scheduled(payload: dict[str, Any]) -> None:
        async with db.transaction() as session:
            await publish_scheduled_post(session, ctx, scheduled_id=int(payload["id"]))

    async def escalate(payload: dict[str, Any]) -> None:
        async with db.transaction() as session:
            await escalate_report(
                session, report_id=int(payload["report_id"]), base_url=settings.base_url
            )

    async def webhook(payload: dict[str, Any]) -> None:
        await post_webhook(settings, payload["url"], payload["payload"])

    handlers: dict[str, Handler] = {
        "send_mail": mail,
        CLOSE_POLL_JOB: poll_ended,
        PUBLISH_SCHEDULED_JOB: publish_scheduled,
        ESCALATE_JOB: escalate,
        WEBHOOK_JOB: webhook,
    }

    def dispatcher(event: str) -> Handler:
        targets = [name for name, table in listeners.items() if event in table]

        async def dispatch(payload: dict[str, Any]) -> None:
            if not targets:
                return
            async with db.transaction() as session:
                for adapter in targets:
                    await enqueue(session, f"{LISTEN_PREFIX}{adapter}.{event}", payload)

        return dispatch

    for event in event_names():
        handlers[JOB_PREFIX + event] = dispatcher(event)
    for adapter, table in listeners.items():
        for event, listener in table.items():
            handlers[f"{LISTEN_PREFIX}{adapter}.{event}"] = listener
    handlers.update(extra or {})
    return handlers
