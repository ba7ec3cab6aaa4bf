"""Client addresses: the socket's, or X-Forwarded-For from a trusted proxy only."""

from __future__ import annotations

import ipaddress

import pytest

from parley.edge.caller import Caller, client_address, parse_networks, throttle_key

TRUSTED = parse_networks("127.0.0.1, 10.0.0.0/8, ::1")


def scope(peer: str, forwarded: str | None = None, **extra: object) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return {"type": "http", "client": (peer, 1234), "headers": headers, **extra}


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # untrusted peer: header ignored
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own claim is left
        ("127.0.0.1", "198.51.100.1, 10.1.2.3", "198.51.100.1"),  # a chain of trusted proxies
        ("127.0.0.1", "garbage", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", "[2001:db8::2]:443", "2001:db8::2"),
        ("127.0.0.1", "198.51.100.9:5555", "198.51.100.9"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert str(client_address(scope(peer, forwarded), TRUSTED)) == expected


def test_ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() -> None:
    one = throttle_key(ipaddress.ip_address("2001:db8:1:2::1"))
    two = throttle_key(ipaddress.ip_address("2001:db8:1:2:ffff::9"))
    assert one == two == "2001:db8:1:2::/64"
    assert throttle_key(ipaddress.ip_address("::ffff:198.51.100.3")) == "198.51.100.3"
    assert throttle_key(None) == "unknown"


def test_credentials_are_read_from_header_query_and_cookie() -> None:
    bearer = Caller(
        {"type": "http", "headers": [(b"authorization", b"Bearer abc")], "query_string": b""},
        None,
    )
    assert bearer.bearer_token == "abc"
    query = Caller({"type": "http", "headers": [], "query_string": b"x=1&access_token=q"}, None)
    assert query.bearer_token == "q"
    cookie = Caller(
        {"type": "http", "headers": [(b"cookie", b"a=1; parley_session=s3")], "query_string": b""},
        None,
    )
    assert cookie.session_cookie == "s3"
    assert cookie.has_credentials
    plain = Caller({"type": "http", "headers": [], "query_string": b""}, None)
    assert not plain.has_credentials
