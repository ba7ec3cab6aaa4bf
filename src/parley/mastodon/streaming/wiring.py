"""Where the streaming adapter finds the instance's broker."""

from __future__ import annotations

from parley.infra.pubsub import Broker
from parley.runtime import Runtime


def broker_of(runtime: Runtime) -> Broker | None:
    """`runtime.broker`, built once by the composition root with `build_broker(settings)`.

    Read by name so this adapter works before and after Runtime carries the field; None
    means streaming is not wired in, and the endpoints answer 503.
    """
    broker: Broker | None = getattr(runtime, "broker", None)
    return broker
