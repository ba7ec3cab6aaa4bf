"""The edge's middlewares in their order, for app.py: outermost first."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.types import Scope

from parley.edge.attack import AttackState
from parley.edge.caching import CachingMiddleware
from parley.edge.guard import Guard
from parley.edge.ip_access import IpAccess, IpAccessMiddleware
from parley.edge.members import MemberCache
from parley.edge.paging import PagingDepthMiddleware
from parley.edge.ratelimit import RateLimitMiddleware
from parley.edge.underattack import UnderAttackMiddleware
from parley.infra.ratelimit import RateLimiter
from parley.ops.metrics import Metrics
from parley.ops.requests import RequestMiddleware
from parley.runtime import Runtime


def build_guard(runtime: Runtime) -> Guard:
    limiter = runtime.ctx.limiter or RateLimiter.from_settings(runtime.settings)
    return Guard(
        settings=runtime.settings,
        limiter=limiter,
        members=MemberCache(runtime.db),
        attack=AttackState(runtime.settings, runtime.db),
        metrics=Metrics(),
        ip_access=IpAccess(runtime.db, runtime.broker),
    )


def edge_middleware(guard: Guard) -> list[Middleware]:
    """Request ids, logs and metrics; then the cheap refusals (blocked addresses, limits, the
    challenge, paging depth) before any adapter works; caching headers on the way out."""

    def client_of(scope: Scope) -> str:
        return guard.caller(scope).ip_key

    blocks = []
    if guard.ip_access is not None:
        blocks = [
            Middleware(
                IpAccessMiddleware,
                access=guard.ip_access,
                caller_of=guard.caller,
                exempt=guard.safelisted,
            )
        ]
    return [
        Middleware(RequestMiddleware, metrics=guard.metrics, client_of=client_of),
        *blocks,
        Middleware(RateLimitMiddleware, guard=guard),
        Middleware(UnderAttackMiddleware, guard=guard),
        Middleware(PagingDepthMiddleware, guard=guard),
        Middleware(CachingMiddleware, guard=guard),
    ]
