"""The pooled outbound client: connections reused per host name, each vetted when opened.

The sockets are faked one layer under httpcore's pool (`network`), so the pool, the TLS
step and the address vetting are the real ones.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import anyio
import httpcore
import httpx
import pytest
from starlette.applications import Starlette

from parley.activitypub.federation import Federation
from parley.infra.http import (
    BlockedDestination,
    HttpError,
    SharedClient,
    build_client,
    fetch,
    post,
)

PUBLIC_IP = "93.184.215.14"


def answer(*, close: bool = False) -> bytes:
    extra = b"connection: close\r\n" if close else b""
    return b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + extra + b"\r\nok"


class Network(httpcore.AsyncNetworkBackend):
    """Records each socket opened (address, port) and the name its TLS was started for."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.opened: list[tuple[str, int]] = []
        self.tls_names: list[str | None] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Socket:
        self.opened.append((host, port))
        return Socket(list(self.answers), self)

    async def connect_unix_socket(self, path: str, *args: Any, **kwargs: Any) -> Socket:
        raise AssertionError("never used")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class Socket(httpcore.AsyncMockStream):
    def __init__(self, buffer: list[bytes], network: Network) -> None:
        super().__init__(buffer)
        self.network = network

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> Socket:
        self.network.tls_names.append(server_hostname)
        return self


class Dns:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.table[host]


async def test_connections_are_reused_for_their_host_name_only() -> None:
    dns = Dns({"social.example": [PUBLIC_IP], "other.example": [PUBLIC_IP]})
    network = Network([answer(), answer(), answer()])
    async with build_client(allow_insecure=False, resolver=dns, network=network) as client:
        for url in ("https://social.example/a", "https://social.example/b"):
            assert (await fetch(client, url)).body == b"ok"
        # Same address, another name: never the first host's TLS connection.
        assert (await fetch(client, "https://other.example/")).body == b"ok"
    assert network.opened == [(PUBLIC_IP, 443), (PUBLIC_IP, 443)]
    assert network.tls_names == ["social.example", "other.example"]
    assert dns.lookups == ["social.example", "other.example"]


async def test_a_reused_connection_keeps_its_vetted_address_and_a_new_one_is_vetted_again() -> None:
    dns = Dns({"social.example": [PUBLIC_IP]})
    # Each connection answers twice, the second answer closing it.
    network = Network([answer(), answer(close=True)])
    async with build_client(allow_insecure=False, resolver=dns, network=network) as client:
        await fetch(client, "https://social.example/1")
        dns.table["social.example"] = ["10.0.0.5"]  # the host's DNS now points inside
        # The open connection goes to the address vetted when it was opened.
        assert (await fetch(client, "https://social.example/2")).status == 200
        # It is closed now: the next connection is vetted with the new answer and refused.
        with pytest.raises(BlockedDestination):
            await fetch(client, "https://social.example/3")
    assert network.opened == [(PUBLIC_IP, 443)]
    assert dns.lookups == ["social.example", "social.example"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"])
async def test_the_pool_never_opens_a_socket_to_a_private_address(address: str) -> None:
    network = Network([answer()])
    dns = Dns({"evil.example": [address]})
    async with build_client(allow_insecure=False, resolver=dns, network=network) as client:
        with pytest.raises(BlockedDestination):
            await fetch(client, "https://evil.example/")
    assert network.opened == []


async def test_requests_in_flight_per_host_are_bounded() -> None:
    running: dict[str, int] = {}
    most: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.headers["host"]
        running[host] = running.get(host, 0) + 1
        most[host] = max(most.get(host, 0), running[host])
        await anyio.sleep(0.05)
        running[host] -= 1
        return httpx.Response(200, content=b"ok")

    dns = Dns({"busy.example": [PUBLIC_IP], "quiet.example": [PUBLIC_IP]})
    client = build_client(
        allow_insecure=False,
        resolver=dns,
        transport=httpx.MockTransport(handler),
        per_host=2,
    )
    async with client, anyio.create_task_group() as tasks:
        for n in range(6):
            tasks.start_soon(fetch, client, f"https://busy.example/{n}")
        tasks.start_soon(fetch, client, "https://quiet.example/")
    assert most == {"busy.example": 2, "quiet.example": 1}
    # Every turn was given back, and the hosts are forgotten once idle.
    assert client._transport.limits.in_use() == 0  # type: ignore[attr-defined]


async def test_federation_shares_one_client_and_the_app_closes_it(app: Starlette) -> None:
    fed: Federation = app.state.federation
    assert fed.transport is None
    async with app.router.lifespan_context(app):
        async with fed.client() as first:
            pass
        async with fed.client() as second:
            assert second is first
        open_before_shutdown = not first.is_closed  # leaving the block does not close it
    assert open_before_shutdown
    assert first.is_closed  # the app's shutdown did
    async with fed.client() as third:
        assert third is not first
    await fed.aclose()
    assert third.is_closed


async def test_another_event_loop_gets_its_own_client_closed_after_use() -> None:
    shared = SharedClient()

    def build() -> httpx.AsyncClient:
        return build_client(allow_insecure=False, resolver=Dns({}))

    async with shared.borrow(build) as mine:
        pass

    def elsewhere() -> tuple[httpx.AsyncClient, bool]:
        async def use() -> tuple[httpx.AsyncClient, bool]:
            async with shared.borrow(build) as theirs:
                open_inside = not theirs.is_closed
            return theirs, open_inside

        return asyncio.run(use())

    theirs, open_inside = await anyio.to_thread.run_sync(elsewhere)
    assert theirs is not mine
    assert open_inside
    assert theirs.is_closed  # a pool never outlives the loop it was used in
    assert not mine.is_closed
    await shared.aclose()
    assert mine.is_closed


async def test_a_post_is_sent_again_once_when_the_server_dropped_the_connection() -> None:
    dns = Dns({"social.example": [PUBLIC_IP]})
    dropped = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"  # then the server is gone
    # The first connection answers once, then is closed by the server (no bytes left).
    network = Network([dropped])
    async with build_client(allow_insecure=False, resolver=dns, network=network) as client:
        first = await post(client, "https://social.example/inbox", body=b"{}", headers={})
        again = await post(client, "https://social.example/inbox", body=b"{}", headers={})
    assert first.status == again.status == 200
    assert len(network.opened) == 2  # the dropped connection was replaced, once


async def test_a_post_whose_fresh_connection_also_drops_fails() -> None:
    dns = Dns({"social.example": [PUBLIC_IP]})
    network = Network([])  # every connection closes without an answer
    async with build_client(allow_insecure=False, resolver=dns, network=network) as client:
        with pytest.raises(HttpError):
            await post(client, "https://social.example/inbox", body=b"{}", headers={})
    assert len(network.opened) == 2
