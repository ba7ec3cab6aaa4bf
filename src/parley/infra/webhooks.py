"""Outgoing webhooks (moderation escalations): one JSON POST through the SSRF-guarded client.

A failure raises, so the job queue retries with backoff; a 4xx other than 429 is final.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson

from parley.config import Settings
from parley.infra.http import BlockedDestination, HttpError, Resolver, build_client, post

log = logging.getLogger(__name__)


class WebhookFailed(Exception):
    """The receiver is down or answered 5xx/429: retry later."""


async def post_webhook(
    settings: Settings,
    url: str,
    payload: dict[str, Any],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
) -> None:
    """`transport` and `resolver` are test seams, as in build_client."""
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json"}
    client = build_client(
        allow_insecure=settings.federation_allow_insecure,
        user_agent=f"Parley (+{settings.base_url}/)",
        transport=transport,
        resolver=resolver,
    )
    try:
        async with client:
            answer = await post(client, url, body=body, headers=headers)
    except BlockedDestination as exc:
        log.warning("webhook to %s refused: %s", url, exc)
        return
    except HttpError as exc:
        raise WebhookFailed(str(exc)) from exc
    if answer.status >= 500 or answer.status == 429:
        raise WebhookFailed(f"{url} answered {answer.status}")
    if answer.status >= 400:
        log.warning("webhook to %s answered %s; not retrying", url, answer.status)
