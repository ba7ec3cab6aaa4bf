"""The outbound client refuses private destinations, before and after redirects."""

from __future__ import annotations

import httpx
import pytest

from parley.infra.http import (
    BlockedDestination,
    ResponseTooLarge,
    TooManyRedirects,
    build_client,
    fetch,
    is_public_address,
)


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


PUBLIC_IP = "93.184.215.14"


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "169.254.169.254",
        "100.64.0.1",  # CGNAT
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "192.0.2.1",  # documentation
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", [PUBLIC_IP, "2606:4700::6810:84e5", "::ffff:93.184.215.14"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


async def test_request_goes_to_the_vetted_address_with_the_real_host_name() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = build_client(
        allow_insecure=False,
        resolver=resolver({"social.example": [PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        fetched = await fetch(client, "https://social.example/users/a")
    assert fetched.status == 200
    assert fetched.url == "https://social.example/users/a"
    [request] = seen
    assert request.url.host == PUBLIC_IP
    assert request.headers["host"] == "social.example"
    assert request.extensions["sni_hostname"] == "social.example"


@pytest.mark.parametrize("address", ["10.1.2.3", "127.0.0.1", "169.254.169.254", "::1"])
async def test_private_destination_is_refused_before_connecting(address: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not connect")

    client = build_client(
        allow_insecure=False,
        resolver=resolver({"evil.example": [address]}),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        with pytest.raises(BlockedDestination):
            await fetch(client, "https://evil.example/")


async def test_one_private_answer_among_public_ones_is_refused() -> None:
    client = build_client(
        allow_insecure=False,
        resolver=resolver({"mixed.example": [PUBLIC_IP, "10.0.0.7"]}),
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    async with client:
        with pytest.raises(BlockedDestination):
            await fetch(client, "https://mixed.example/")


async def test_redirect_to_a_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "public.example":
            return httpx.Response(302, headers={"Location": "https://internal.example/admin"})
        raise AssertionError("must not reach the internal host")

    client = build_client(
        allow_insecure=False,
        resolver=resolver({"public.example": [PUBLIC_IP], "internal.example": ["192.168.0.10"]}),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        with pytest.raises(BlockedDestination):
            await fetch(client, "https://public.example/start")


async def test_redirects_are_followed_at_most_three_times() -> None:
    hops: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.path)
        return httpx.Response(302, headers={"Location": f"/hop{len(hops)}"})

    client = build_client(
        allow_insecure=False,
        resolver=resolver({"loop.example": [PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        with pytest.raises(TooManyRedirects):
            await fetch(client, "https://loop.example/")
    assert len(hops) == 4


async def test_plain_http_is_refused() -> None:
    client = build_client(
        allow_insecure=False,
        resolver=resolver({"social.example": [PUBLIC_IP]}),
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    async with client:
        with pytest.raises(BlockedDestination):
            await fetch(client, "http://social.example/")


async def test_allow_insecure_permits_http_and_loopback() -> None:
    client = build_client(
        allow_insecure=True,
        resolver=resolver({"localhost": ["127.0.0.1"]}),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"hi")),
    )
    async with client:
        fetched = await fetch(client, "http://localhost:8123/")
    assert fetched.body == b"hi"


async def test_bodies_over_the_limit_are_cut_off() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * (2 * 1024 * 1024))

    client = build_client(
        allow_insecure=False,
        resolver=resolver({"big.example": [PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        with pytest.raises(ResponseTooLarge):
            await fetch(client, "https://big.example/")


async def test_a_content_length_of_other_digits_is_ignored() -> None:
    # "²" passes str.isdigit() but int() refuses it: the body is read, within the limit.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[(b"content-length", b"\xb2")], content=b"ok")

    client = build_client(
        allow_insecure=False,
        resolver=resolver({"odd.example": [PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        assert (await fetch(client, "https://odd.example/")).body == b"ok"
