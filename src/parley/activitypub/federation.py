"""The federation adapter's shared objects: settings, database, and the outbound client seams.

Built from the Runtime by the composition root (routes) and by the job handlers. Tests set
`transport` and `resolver` to route outbound requests to in-process apps.

Outbound requests share one pooled client (`outbound`), so deliveries to a host reuse their
connections instead of opening one (and a TLS handshake) per POST; the composition root
closes it on shutdown (`aclose`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx

from parley.activitypub.keycache import HostMemo, KeyCache
from parley.activitypub.signers import SignerCache
from parley.config import Settings
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.infra.http import POOL_PER_HOST, Resolver, SharedClient, build_client
from parley.jobs.slots import SlotKeeper
from parley.runtime import Runtime


@dataclass(slots=True)
class Federation:
    settings: Settings
    db: Database
    ctx: DomainContext
    transport: httpx.AsyncBaseTransport | None = None
    resolver: Resolver | None = None
    # Per-process caches (see parley.activitypub.keycache); shared by copies of this object.
    keys: KeyCache = field(default_factory=KeyCache)
    hosts: HostMemo = field(default_factory=HostMemo)
    signers: SignerCache = field(default_factory=SignerCache)
    # Delivery leases this process keeps a moment for its next POST to the same host.
    leases: SlotKeeper = field(default_factory=SlotKeeper)
    outbound: SharedClient = field(default_factory=SharedClient)

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Federation:
        return cls(settings=runtime.settings, db=runtime.db, ctx=runtime.ctx)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def domain(self) -> str:
        return self.settings.domain

    @property
    def instance_actor_uri(self) -> str:
        return f"{self.base_url}/actor"

    @property
    def instance_key_id(self) -> str:
        return f"{self.base_url}/actor#main-key"

    def client(self) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """The SSRF-guarded client: `async with fed.client() as http:`. It is the shared,
        pooled one, left open on exit; with a `transport` seam, a new client per use."""
        if self.transport is not None:
            return self._build_client()
        return self.outbound.borrow(self._build_client, key=self.resolver)

    def _build_client(self) -> httpx.AsyncClient:
        return build_client(
            allow_insecure=self.settings.federation_allow_insecure,
            # Admins of remote servers see where requests come from.
            user_agent=f"Parley (+{self.base_url}/)",
            resolver=self.resolver,
            transport=self.transport,
            # Room for every delivery lease on a host, and fetches beside them.
            per_host=max(POOL_PER_HOST, self.settings.delivery_per_host + 2),
        )

    async def aclose(self) -> None:
        """Hand kept delivery leases back, close the pooled connections (the app's shutdown)."""
        try:
            await self.leases.flush(self.db)
        finally:
            await self.outbound.aclose()
