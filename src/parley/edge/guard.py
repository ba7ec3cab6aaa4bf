"""What the edge middlewares share for one instance: settings, the limiter, the member cache,
the trusted networks and the under-attack state. Built once by app.py."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

from parley.config import Settings
from parley.edge.attack import AttackState
from parley.edge.caller import Caller, IPNetwork, client_address, parse_networks
from parley.edge.ip_access import IpAccess
from parley.edge.members import MemberCache
from parley.infra.ratelimit import RateLimiter
from parley.ops.metrics import Metrics

CALLER_KEY = "parley.caller"
MEMBER_KEY = "parley.member"


@dataclass(slots=True)
class Guard:
    settings: Settings
    limiter: RateLimiter
    members: MemberCache
    attack: AttackState
    metrics: Metrics
    ip_access: IpAccess | None = None  # `no_access` IP blocks (None: not enforced at the edge)
    trusted: tuple[IPNetwork, ...] = ()
    safelist: tuple[IPNetwork, ...] = ()

    def __post_init__(self) -> None:
        self.trusted = parse_networks(self.settings.trusted_proxies)
        self.safelist = parse_networks(self.settings.ratelimit_safelist)

    def caller(self, scope: Scope) -> Caller:
        """The request's caller, worked out once (later middlewares reuse it)."""
        found = scope.get(CALLER_KEY)
        if isinstance(found, Caller):
            return found
        caller = Caller(scope, client_address(scope, self.trusted))
        scope[CALLER_KEY] = caller
        peer = scope.get("client")
        if caller.address is not None and peer and peer[0] != str(caller.address):
            # Behind a trusted proxy: every adapter's request.client is the real client.
            scope["client"] = (str(caller.address), 0)
        return caller

    def safelisted(self, caller: Caller) -> bool:
        address = caller.address
        return address is not None and any(address in net for net in self.safelist)

    async def member(self, caller: Caller) -> str | None:
        """`account:<id>` (or `app:<digest>`) when the request carries live credentials."""
        scope = caller.scope
        if MEMBER_KEY in scope:
            cached: str | None = scope[MEMBER_KEY]
            return cached
        member = None
        if caller.bearer_token:
            member = await self.members.for_token(caller.bearer_token)
        elif caller.session_cookie:
            member = await self.members.for_session(caller.session_cookie)
        scope[MEMBER_KEY] = member
        return member
