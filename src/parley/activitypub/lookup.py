"""Resolving an address or URL typed into search to a stored remote account."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from parley.activitypub.federation import Federation
from parley.activitypub.fetch import FetchError, resolve_actor, webfinger

log = logging.getLogger(__name__)

_PROFILE_PATH = re.compile(r"^/@([A-Za-z0-9_.-]+)/?$")


async def resolve_account_for_search(fed: Federation, query: str) -> int | None:
    """WebFinger for `user@host`, an actor fetch for a URL; the stored account's id or None."""
    try:
        async with fed.client() as http:
            if not query.startswith("https://"):
                return (await webfinger(fed, http, query)).id
            try:
                return (await resolve_actor(fed, http, query)).id
            except FetchError:
                # A profile page (https://host/@user) is not the actor's id: ask WebFinger.
                parts = urlsplit(query)
                match = _PROFILE_PATH.match(parts.path)
                if match is None:
                    raise
                return (await webfinger(fed, http, f"{match.group(1)}@{parts.netloc}")).id
    except FetchError as exc:
        log.info("search could not resolve %s: %s", query, exc)
        return None
