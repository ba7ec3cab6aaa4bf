"""Two web processes sharing Redis: a client on one hears what the worker of the other did."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.config import Settings
from tests.integration.mastodon.conftest import Api
from tests.integration.streaming.conftest import (
    Live,
    free_port,
    settle,
    sse,
    start_live,
    stop_live,
    websocket,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings: Settings, redis_server: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_server})


@pytest.fixture
def pair(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Live, Live]]:
    """The instance's first process (with the worker) and a second web-only one."""
    first = start_live(settings, monkeypatch)
    second = start_live(settings, monkeypatch, port=free_port(), worker=False)
    yield first, second
    stop_live(second)
    stop_live(first)


async def test_streams_fan_out_across_processes_through_redis(
    pair: tuple[Live, Live], api: Api
) -> None:
    with_worker, web_only = pair
    alice, bob, carol = [await api.member(n) for n in ("alice", "bob", "carol")]
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    await settle(api.runtime)
    async with (
        sse(web_only, "user", alice.token) as home,
        websocket(with_worker, carol.token, "?stream=public:local") as public,
    ):
        private = await api.call(
            "POST", "/api/v1/statuses", bob, data={"status": "hi", "visibility": "private"}
        )
        public_post = await api.call("POST", "/api/v1/statuses", bob, data={"status": "all"})
        assert (await home.next_json())[1]["id"] == private["id"]
        assert (await home.next_json())[1]["id"] == public_post["id"]
        assert (await public.next())["payload"]["id"] == public_post["id"]
