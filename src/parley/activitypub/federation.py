"""The federation adapter's shared objects: settings, database, and the outbound client seams.

Built from the Runtime by the composition root (routes) and by the job handlers. Tests set
`transport` and `resolver` to route outbound requests to in-process apps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from parley.activitypub.keycache import HostMemo, KeyCache
from parley.config import Settings
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.infra.http import Resolver, build_client
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

    def client(self) -> httpx.AsyncClient:
        """A new SSRF-guarded client; use it as `async with fed.client() as http:`."""
        return build_client(
            allow_insecure=self.settings.federation_allow_insecure,
            # Admins of remote servers see where requests come from.
            user_agent=f"Parley (+{self.base_url}/)",
            resolver=self.resolver,
            transport=self.transport,
        )
