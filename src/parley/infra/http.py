"""The one outbound HTTP client: every request to another server goes through it.

Federation makes us fetch URLs that strangers choose, so the client refuses to reach
anything but the public internet (SSRF): before each new connection the host is resolved,
every address it resolves to must be public, and the socket is opened to the vetted address
(`VettingBackend`, under httpcore's pool), so a second DNS answer cannot point the
connection elsewhere (DNS rebinding). The URL keeps the host name, so the pool keys its
connections by (scheme, host name, port): a connection, TLS included, is only reused for the
host it was opened and vetted for, and a host whose DNS now answers a private address is
refused at its next new connection. The pool is bounded (connections per host, in total, and
how long one stays idle). Redirects are followed by `fetch`, never by httpx, so each hop is
vetted the same way. Bodies are read as a stream and cut off at a size limit.

With a `transport` seam (tests route requests to in-process apps, no sockets) the request
itself is vetted and pinned instead: its URL's host is replaced by the vetted IP, the Host
header and the TLS SNI keep the real name.

`PARLEY_FEDERATION_ALLOW_INSECURE` (tests only) allows http and private addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import anyio
import httpcore
import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_REDIRECTS = 3
JSON_LIMIT = 1024 * 1024
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# The connection pool: connections per (scheme, host, port), in all, and seconds one may idle.
POOL_PER_HOST = 8
POOL_TOTAL = 100
POOL_IDLE_SECONDS = 30.0


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


async def vetted_addresses(
    resolver: Resolver, host: str, port: int, *, allow_insecure: bool
) -> list[str]:
    """The addresses of `host`, all public (unless `allow_insecure`), scope ids removed."""
    addresses = await resolver(host, port)
    if not addresses:
        raise HttpError(f"{host} has no address")
    if not allow_insecure:
        # One private answer is enough to refuse: a public decoy could sit beside it.
        refused = [a for a in addresses if not is_public_address(a)]
        if refused:
            raise BlockedDestination(f"{host} resolves to a non-public address {refused[0]}")
    return [a.split("%", 1)[0] for a in addresses]


class VettingBackend(httpcore.AsyncNetworkBackend):
    """Opens each new connection to an address of the host vetted just before."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        allow_insecure: bool,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.resolver = resolver
        self.allow_insecure = allow_insecure
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):  # the connect timeout covers the DNS lookup too
                addresses = await vetted_addresses(
                    self.resolver, host, port, allow_insecure=self.allow_insecure
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        return await self.inner.connect_tcp(
            addresses[0],
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("outbound requests never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class HostLimits:
    """At most `limit` requests in flight per (scheme, host, port), so at most that many
    pooled connections per host (HTTP/1.1: one request per connection at a time)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._gates: dict[tuple[str, str, int], _Gate] = {}

    async def enter(self, key: tuple[str, str, int]) -> Callable[[], None]:
        """Wait for a turn; returns the function that gives it back (safe to call twice)."""
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(anyio.Semaphore(self.limit))
        gate.users += 1
        try:
            with anyio.fail_after(TIMEOUT.pool):
                await gate.semaphore.acquire()
        except BaseException:
            self._leave(key, gate, acquired=False)
            raise
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self._leave(key, gate, acquired=True)

        return release

    def _leave(self, key: tuple[str, str, int], gate: _Gate, *, acquired: bool) -> None:
        if acquired:
            gate.semaphore.release()
        gate.users -= 1
        if gate.users == 0:  # forget idle hosts, so the table does not grow without end
            del self._gates[key]

    def in_use(self) -> int:
        return len(self._gates)


@dataclass(slots=True)
class _Gate:
    semaphore: anyio.Semaphore
    users: int = 0


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that gives the host's turn back when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self.inner = inner
        self.release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.release()


class GuardedTransport(httpx.AsyncBaseTransport):
    """Refuses other schemes, bounds the requests per host, then lets `inner` send.

    With `pin` (the test seams) the request is vetted and pinned here; otherwise `inner` is
    the pool over a `VettingBackend`, which vets every new connection.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        resolver: Resolver,
        allow_insecure: bool,
        pin: bool = True,
        per_host: int = POOL_PER_HOST,
    ) -> None:
        self.inner = inner
        self.resolver = resolver
        self.allow_insecure = allow_insecure
        self.pin = pin
        self.limits = HostLimits(per_host)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "https" and not (self.allow_insecure and url.scheme == "http"):
            raise BlockedDestination(f"refusing {url.scheme} URL {url}")
        host = url.host
        if not host:
            raise BlockedDestination("URL without a host")
        port = url.port or (443 if url.scheme == "https" else 80)
        if self.pin:
            request = await self._pinned(request, host, port)
        try:
            release = await self.limits.enter((url.scheme, host, port))
        except TimeoutError as exc:
            raise httpx.PoolTimeout(f"{host}: no free connection", request=request) from exc
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            release()
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):
            release()
            return response
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, release),
            extensions=response.extensions,
        )

    async def _pinned(self, request: httpx.Request, host: str, port: int) -> httpx.Request:
        addresses = await vetted_addresses(
            self.resolver, host, port, allow_insecure=self.allow_insecure
        )
        return httpx.Request(
            request.method,
            request.url.copy_with(host=addresses[0]),
            # httpx set the Host header from the original URL when the request was built.
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """Built once, on first use: loading the CA certificates takes tens of milliseconds."""
    return httpx.create_ssl_context()


def pooled_transport(
    *,
    resolver: Resolver,
    allow_insecure: bool,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncHTTPTransport:
    """httpx's transport, its connection pool opening sockets through a `VettingBackend`."""
    transport = httpx.AsyncHTTPTransport(verify=_default_ssl_context(), retries=0)
    # httpx takes no network backend, so its (still empty) pool is replaced by the same
    # pool with ours; httpx is pinned in pyproject.toml.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=_default_ssl_context(),
        max_connections=POOL_TOTAL,
        max_keepalive_connections=POOL_TOTAL,
        keepalive_expiry=POOL_IDLE_SECONDS,
        retries=0,
        network_backend=VettingBackend(
            resolver=resolver, allow_insecure=allow_insecure, inner=network
        ),
    )
    return transport


def build_client(
    *,
    allow_insecure: bool,
    user_agent: str = "Parley",
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    network: httpcore.AsyncNetworkBackend | None = None,
    per_host: int = POOL_PER_HOST,
) -> httpx.AsyncClient:
    """A client whose every request is vetted; `transport`, `resolver` and `network` (the
    socket layer under the pool) are test seams."""
    resolve = resolver or system_resolver
    guarded = GuardedTransport(
        transport
        or pooled_transport(resolver=resolve, allow_insecure=allow_insecure, network=network),
        resolver=resolve,
        allow_insecure=allow_insecure,
        pin=transport is not None,
        per_host=per_host,
    )
    return httpx.AsyncClient(
        transport=guarded,
        timeout=TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": user_agent},
    )


class SharedClient:
    """One client (so one connection pool) for all of a process's requests, made on first
    use; `aclose()` on shutdown. A pool belongs to the event loop that made it: a request
    from another loop (a test driving a live server from outside) gets a client of its own,
    closed after use. A different `key` (the test seams) replaces the shared client."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._owner: tuple[asyncio.AbstractEventLoop, object] | None = None
        self._retired: list[httpx.AsyncClient] = []

    def borrow(
        self, build: Callable[[], httpx.AsyncClient], *, key: object = None
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """`async with shared.borrow(...) as http:`; the shared client stays open after."""
        loop = asyncio.get_running_loop()
        owner = self._owner
        if self._client is not None and owner is not None and owner[0] is not loop:
            if not owner[0].is_closed():
                return build()  # closed by the caller's `async with`
            self._client, self._retired = None, []  # a finished loop's: nothing to close
        if self._client is not None and owner is not None and owner[1] is not key:
            self._retired.append(self._client)  # may still be in use; closed by aclose()
            self._client = None
        if self._client is None:
            self._client, self._owner = build(), (loop, key)
        return _kept_open(self._client)

    async def aclose(self) -> None:
        clients = [*self._retired, *([self._client] if self._client else [])]
        self._client, self._owner, self._retired = None, None, []
        for client in clients:
            await client.aclose()


@contextlib.asynccontextmanager
async def _kept_open(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    yield client


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where the body came from, after redirects
    status: int
    headers: httpx.Headers
    body: bytes


async def read_limited(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length")
    # isascii: str.isdigit() also accepts digits int() refuses, such as "²".
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
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
    """POST without following redirects (a moved inbox is the sender's problem to re-resolve).

    Sent again once, on a new connection, when the server closed the connection without an
    answer: a pooled connection the server closed just as it was reused (servers drop idle
    keep-alive connections after a few seconds). Inboxes ignore an activity id seen before.
    """
    for attempt in (1, 2):
        try:
            async with client.stream("POST", url, content=body, headers=dict(headers)) as response:
                answer = await read_limited(response, limit)
                return Fetched(url, response.status_code, response.headers, answer)
        except httpx.HTTPError as exc:
            if attempt == 1 and isinstance(exc, httpx.RemoteProtocolError):
                continue
            raise HttpError(f"POST {url}: {type(exc).__name__}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover
