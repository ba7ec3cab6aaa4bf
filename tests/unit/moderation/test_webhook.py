from __future__ import annotations

import httpx
import orjson
import pytest

from parley.config import Settings
from parley.infra.webhooks import WebhookFailed, post_webhook


async def _public(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


async def test_the_webhook_posts_json_and_a_server_error_is_retried(settings: Settings) -> None:
    seen: list[httpx.Request] = []
    status = 204

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)

    transport = httpx.MockTransport(handler)
    url = "https://hooks.example/moderation"
    await post_webhook(settings, url, {"text": "overdue"}, transport=transport, resolver=_public)
    assert orjson.loads(seen[0].content) == {"text": "overdue"}
    assert seen[0].headers["content-type"] == "application/json"
    status = 503
    with pytest.raises(WebhookFailed):
        await post_webhook(settings, url, {}, transport=transport, resolver=_public)
    status = 404  # final: logged, not retried
    await post_webhook(settings, url, {}, transport=transport, resolver=_public)


async def test_a_private_address_is_never_called(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be called")

    await post_webhook(
        settings, "https://127.0.0.1/hook", {}, transport=httpx.MockTransport(handler)
    )
