"""The one outbound HTTP client: every request to another server goes through it.

Federation makes us fetch URLs that strangers choose, so the client refuses to reach
anything but the public internet (SSRF): the host is resolved, every address it resolves
to must be public, and the connection goes to the vetted address (the URL's host is
replaced by the IP; the Host header and TLS SNI/certificate check keep the real name), so a
second DNS answer cannot point the connection elsewhere (DNS rebinding). Redirects are
followed by `fetch`, never by httpx, so each hop is vetted the same way. Bodies are read as
a stream and cut off at a size limit.

`PARLEY_FEDERATION_ALLOW_INSECURE` (tests only) allows http and private addresses.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio
import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_REDIRECTS = 3
JSON_LIMIT = 1024 * 1024
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


class HttpError(Exception):
    """An outbound request that could not be made or completed."""


class BlockedDestination(HttpError):
    """The URL points somewhere we never connect to (private address, bad scheme)."""


class ResponseTooLarge(HttpError):
    """The body passed the size limit; what arrived was discarded."""


class TooManyRedirects(HttpError):
    pass


async def system_resolver(host: str, port: int) -> list[str]:
    """All addresses of `host` (getaddrinfo runs in a worker thread)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise HttpError(f"cannot resolve {host}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in a mapped, 6to4 or Teredo IPv6 address, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public_address(value: str) -> bool:
    """True only for globally routable unicast addresses (not CGNAT, not documentation)."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            value.split("%", 1)[0]
        )
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            address = inner
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


class GuardedTransport(httpx.AsyncBaseTransport):
    """Vets and pins the destination of every request before `inner` sends it."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, *, resolver: Resolver, allow_insecure: bool
    ) -> None:
        self.inner = inner
        self.resolver = resolver
        self.allow_insecure = allow_insecure

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" and not (self.allow_insecure and url.scheme == "http"):
            raise BlockedDestination(f"refusing {url.scheme} URL {url}")
        host = url.host
        if not host:
            raise BlockedDestination("URL without a host")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await self.resolver(host, port)
        if not addresses:
            raise HttpError(f"{host} has no address")
        if not self.allow_insecure:
            # One private answer is enough to refuse: a public decoy could sit beside it.
            refused = [a for a in addresses if not is_public_address(a)]
            if refused:
                raise BlockedDestination(f"{host} resolves to a non-public address {refused[0]}")
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=addresses[0].split("%", 1)[0]),
            # httpx set the Host header from the original URL when the request was built.
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return await self.inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self.inner.aclose()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """Built once, on first use: loading the CA certificates takes tens of milliseconds."""
    return httpx.create_ssl_context()


def build_client(
    *,
    allow_insecure: bool,
    user_agent: str = "Parley",
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client whose every request is vetted; `transport` and `resolver` are test seams."""
    inner = transport or httpx.AsyncHTTPTransport(verify=_default_ssl_context(), retries=0)
    guarded = GuardedTransport(
        inner, resolver=resolver or system_resolver, allow_insecure=allow_insecure
    )
    return httpx.AsyncClient(
        transport=guarded,
        timeout=TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": user_agent},
    )


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where the body came from, after redirects
    status: int
    headers: httpx.Headers
    body: bytes


async def read_limited(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{response.request.url} declares {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"{response.request.url} sent more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers_for: Callable[[str], Mapping[str, str]] | None = None,
    limit: int = JSON_LIMIT,
) -> Fetched:
    """GET `url`, following up to three redirects; `headers_for(url)` signs each hop anew."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        headers = dict(headers_for(current)) if headers_for else {}
        try:
            async with client.stream("GET", current, headers=headers) as response:
                if response.status_code in REDIRECT_CODES and "location" in response.headers:
                    current = str(httpx.URL(current).join(response.headers["location"]))
                    continue
                body = await read_limited(response, limit)
                return Fetched(current, response.status_code, response.headers, body)
        except httpx.HTTPError as exc:
            raise HttpError(f"GET {current}: {type(exc).__name__}: {exc}") from exc
    raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects from {url}")


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    limit: int = 64 * 1024,
) -> Fetched:
    """POST without following redirects (a moved inbox is the sender's problem to re-resolve)."""
    try:
        async with client.stream("POST", url, content=body, headers=dict(headers)) as response:
            answer = await read_limited(response, limit)
            return Fetched(url, response.status_code, response.headers, answer)
    except httpx.HTTPError as exc:
        raise HttpError(f"POST {url}: {type(exc).__name__}: {exc}") from exc
