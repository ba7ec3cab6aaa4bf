""" "What you cached of X changed": announcements between processes over the broker.

A process that commits a change already knows about it; it publishes its ORIGIN on the
channel so that the others (web processes joined by Redis) drop their copies. Delivery is at
most once, so whoever caches also reloads now and then on its own.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from parley.infra.pubsub import Broker, Overflow

log = logging.getLogger(__name__)

# This process's name in announcements: listeners skip their own process's news.
ORIGIN = uuid.uuid4().hex.encode()
RETRY_SECONDS = 5.0


async def announce(broker: Broker, channel: str) -> None:
    """Publish a change (call after the commit). Never raises: a lost announcement only
    delays the other processes until their next periodic reload."""
    try:
        await broker.publish(channel, ORIGIN)
    except Exception:
        log.exception("could not announce a change on %s", channel)


async def listen(broker: Broker, channel: str, on_news: Callable[[], None]) -> None:
    """Call `on_news` for every other process's announcement, and whenever some may have been
    missed (the subscriber fell behind or the connection dropped). Runs until cancelled (cancel
    it before closing the broker: leaving, it unsubscribes) or the subscription is closed."""
    while True:
        try:
            async with await broker.subscribe([channel]) as subscription:
                async for _channel, message in subscription:
                    if message != ORIGIN:
                        on_news()
            return
        except Overflow:
            on_news()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lost the announcements on %s; listening again", channel)
            on_news()
            await asyncio.sleep(RETRY_SECONDS)
