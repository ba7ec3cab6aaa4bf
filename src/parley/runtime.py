"""The running instance's shared objects, built once by create_app and reached via app.state."""

from __future__ import annotations

from dataclasses import dataclass

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.context import DomainContext
from parley.infra.pubsub import Broker
from parley.jobs.worker import Worker


@dataclass(slots=True)
class Runtime:
    settings: Settings
    db: Database
    ctx: DomainContext
    worker: Worker
    # Streaming fan-out: in-process by default, Redis when PARLEY_REDIS_URL is set.
    broker: Broker
