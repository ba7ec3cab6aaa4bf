"""The federation adapter's job handlers, for the composition root to register."""

from __future__ import annotations

from typing import Any

from parley.activitypub import apply, delivery, outbox
from parley.activitypub.federation import Federation
from parley.activitypub.inbox import PROCESS_JOB
from parley.domain.events import JOB_PREFIX
from parley.jobs.worker import Handler
from parley.runtime import Runtime


def build_federation_handlers(
    runtime: Runtime, federation: Federation | None = None
) -> dict[str, Handler]:
    """Handlers for the inbox and delivery jobs, and for domain events.

    Domain events are registered under their job names (`event.post.created`, ...); if other
    adapters come to listen to the same events, use `outbox.build_listeners` and chain.
    """
    fed = federation or Federation.from_runtime(runtime)

    async def process_inbox(payload: dict[str, Any]) -> None:
        await apply.process(
            fed, payload["inbox_activity_id"], forwarded=bool(payload.get("forwarded"))
        )

    async def fanout(payload: dict[str, Any]) -> None:
        await delivery.fanout(fed, payload)

    async def deliver(payload: dict[str, Any]) -> None:
        await delivery.deliver(fed, payload)

    handlers: dict[str, Handler] = {
        PROCESS_JOB: process_inbox,
        delivery.FANOUT_JOB: fanout,
        delivery.DELIVER_JOB: deliver,
    }
    for event, listener in outbox.build_listeners(fed).items():
        handlers[JOB_PREFIX + event] = listener
    return handlers
