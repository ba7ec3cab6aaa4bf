"""Where the streaming adapter finds the instance's broker."""

from __future__ import annotations

from parley.infra.pubsub import Broker
from parley.runtime import Runtime


def broker_of(runtime: Runtime) -> Broker | None:
    """`runtime.broker`, built once by the composition root with `build_broker(settings)`.

    (None would mean streaming is not wired in; the endpoints then answer 503.)
    """
    return runtime.broker
