"""Who is calling, as far as the edge can tell cheaply: the client address (from the socket,
or X-Forwarded-For behind a trusted proxy), and the credentials the request carries."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from functools import cached_property, lru_cache

from starlette.datastructures import Headers
from starlette.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SESSION_COOKIE = "parley_session"  # the web UI's session cookie (parley.web.viewer)
AS2_TYPES = ("application/activity+json", "application/ld+json")


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    return tuple(
        ipaddress.ip_network(part, strict=False)
        for part in (p.strip() for p in text.split(","))
        if part
    )


@lru_cache(maxsize=8192)  # under a flood the same few strings come again and again
def _address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(scope: Scope, trusted: tuple[IPNetwork, ...]) -> IPAddress | None:
    """The client's address. X-Forwarded-For is believed only from a trusted proxy, and then
    read from the right, skipping further trusted proxies, so a client cannot choose its own."""
    peer = scope.get("client")
    address = _address(peer[0]) if peer else None
    if address is None or not any(address in net for net in trusted):
        return address
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        candidate = _address(hop)
        if candidate is None:
            break
        address = candidate
        if not any(candidate in net for net in trusted):
            break
    return address


@lru_cache(maxsize=8192)
def throttle_key(address: IPAddress | None) -> str:
    """IPv6 clients are counted per /64, as one host usually holds a whole /64."""
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def digest(secret: str) -> str:
    """A stable, non-reversible key for a token or cookie (never store or log the secret)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


@dataclass
class Caller:
    scope: Scope
    address: IPAddress | None

    @cached_property
    def headers(self) -> Headers:
        return Headers(scope=self.scope)

    @cached_property
    def ip_key(self) -> str:
        return throttle_key(self.address)

    @property
    def path(self) -> str:
        return str(self.scope.get("path", ""))

    @property
    def method(self) -> str:
        return str(self.scope.get("method", "GET"))

    @cached_property
    def bearer_token(self) -> str | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        query = str(self.scope.get("query_string", b"").decode("latin-1"))
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "access_token" and value:
                return value
        return None

    @cached_property
    def session_cookie(self) -> str | None:
        for part in self.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value:
                return value
        return None

    @property
    def has_credentials(self) -> bool:
        """A token or a session cookie (not checked here); such requests are never cached."""
        return bool(self.bearer_token or self.session_cookie or "authorization" in self.headers)

    @property
    def signed(self) -> bool:
        """Carries an HTTP Signature (federation); verified later by the ActivityPub adapter."""
        return "signature" in self.headers or "signature-input" in self.headers

    @property
    def wants_as2(self) -> bool:
        accept = self.headers.get("accept", "").lower()
        return any(kind in accept for kind in AS2_TYPES)

    @property
    def wants_html(self) -> bool:
        accept = self.headers.get("accept", "").lower()
        return not self.wants_as2 and ("text/html" in accept or "*/*" in accept or not accept)
