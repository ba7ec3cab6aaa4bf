"""Across processes: a web process hears through Redis that another process changed the IP
blocks, and reloads its list (the change counter of this process is not involved: the row is
written behind Parley's back and only the announcement tells the server)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from parley.domain.moderation.models import IpBlock
from parley.edge.ip_access import CHANNEL
from parley.infra.announce import ORIGIN
from parley.infra.pubsub import RedisBroker
from parley.runtime import Runtime
from tests.integration.streaming.conftest import redis_server
from tests.live import live_server

__all__ = ["redis_server"]

pytestmark = pytest.mark.slow


async def test_an_announcement_from_another_process_reloads_the_list(
    database_url: str, tmp_path: Path, redis_server: str, runtime: Runtime
) -> None:
    other_process = RedisBroker(redis_server)
    try:
        with live_server(
            database_url, tmp_path, run_worker=False, redis_url=redis_server, ratelimit_safelist=""
        ) as url:  # loopback not safelisted: this client can be blocked
            async with httpx.AsyncClient(base_url=url) as client:
                assert (await client.get("/about")).status_code == 200  # the list is loaded
                async with runtime.db.transaction() as session:
                    session.add(IpBlock(ip="127.0.0.0/8", severity="no_access"))
                # This process's own echo is skipped (it has reloaded already)...
                await other_process.publish(CHANNEL, ORIGIN)
                await asyncio.sleep(0.3)
                assert (await client.get("/about")).status_code == 200
                # ...another process's announcement is not.
                await other_process.publish(CHANNEL, b"another process")
                deadline = time.monotonic() + 5
                while (answer := await client.get("/about")).status_code != 403:
                    assert time.monotonic() < deadline, "the server did not hear the announcement"
                    await asyncio.sleep(0.05)
                assert "Access blocked" in answer.text
                assert (await client.get("/health/live")).status_code == 200
    finally:
        await other_process.close()
