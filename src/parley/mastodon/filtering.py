"""Filters in Mastodon JSON: Filter, FilterKeyword, FilterStatus, V1Filter, FilterResult,
and applying a member's filters to a page of statuses for one context.

A member's filters are read on every timeline page (a query as dear as a page's posts) and
rarely change, so each process keeps them FILTERS_TTL_SECONDS (parley.mastodon.watch): any
commit here adding, changing or deleting a filter, keyword or filtered post, from any door,
drops them all at once, as does another process's announcement. Expiry is checked at each
use, as the query checks it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.filters.matching import ActiveFilter, FilterMatch, hides
from parley.domain.filters.models import Filter, FilterAction, FilterKeyword, FilterStatus
from parley.domain.filters.queries import active_filters, matches_for
from parley.domain.posts.views import PostView
from parley.infra.pubsub import Broker
from parley.mastodon import entities
from parley.mastodon.entities import Entity, iso
from parley.mastodon.watch import ANY, Memory, Watch

FILTERS_TTL_SECONDS = 10.0
WATCH = Watch(
    "filters.changed",
    {t.__tablename__: ANY for t in (Filter, FilterKeyword, FilterStatus)},
    added=True,
)
# Each app's memory, by its database's engine (a session knows its engine, not its app).
_MEMORIES: weakref.WeakKeyDictionary[Engine, Memory[int, list[ActiveFilter]]] = (
    weakref.WeakKeyDictionary()
)


def remember_filters(broker: Broker, engine: Engine) -> None:
    """Keep members' filters in memory for the app on `engine`'s database."""
    WATCH.announce_on(broker, engine)
    _MEMORIES[engine] = Memory(WATCH, broker, ttl=FILTERS_TTL_SECONDS)


async def viewer_filters(session: AsyncSession, viewer_id: int) -> list[ActiveFilter]:
    """The viewer's unexpired filters (queries.active_filters), from memory when kept."""
    engine = session.sync_session.bind
    memory = _MEMORIES.get(engine) if isinstance(engine, Engine) else None
    if memory is None:
        return await active_filters(session, viewer_id)
    found = memory.get(viewer_id)
    if found is None:
        generation = memory.generation()
        # Its own session: `session` may read a snapshot older than `generation`.
        async with AsyncSession(session.bind) as fresh:
            found = await active_filters(fresh, viewer_id)
        memory.put(viewer_id, found, generation)
    now = utcnow()
    return [f for f in found if f.expires_at is None or f.expires_at > now]


def filter_keyword(k: FilterKeyword) -> Entity:
    return {"id": str(k.id), "keyword": k.keyword, "whole_word": k.whole_word}


def filter_status(s: FilterStatus) -> Entity:
    return {"id": str(s.id), "status_id": str(s.post_id)}


def filter_entity(
    f: Filter, keywords: Sequence[FilterKeyword], statuses: Sequence[FilterStatus]
) -> Entity:
    return {
        "id": str(f.id),
        "title": f.title,
        "context": list(f.context),
        "expires_at": iso(f.expires_at),
        "filter_action": f.action,
        "keywords": [filter_keyword(k) for k in keywords],
        "statuses": [filter_status(s) for s in statuses],
    }


def v1_filter(f: Filter, k: FilterKeyword) -> Entity:
    """The v1 shape: one keyword of a filter, `irreversible` meaning "hide"."""
    return {
        "id": str(k.id),
        "phrase": k.keyword,
        "context": list(f.context),
        "whole_word": k.whole_word,
        "expires_at": iso(f.expires_at),
        "irreversible": f.action == FilterAction.HIDE,
    }


def _result(m: FilterMatch) -> Entity:
    f: ActiveFilter = m.filter
    return {
        # Keywords and statuses are omitted inside a FilterResult, as in Mastodon.
        "filter": {
            "id": str(f.id),
            "title": f.title,
            "context": list(f.context),
            "expires_at": iso(f.expires_at),
            "filter_action": f.action,
        },
        "keyword_matches": m.keyword_matches or None,
        "status_matches": [str(i) for i in m.status_matches] or None,
    }


def filter_results(matches: Sequence[FilterMatch]) -> list[Entity]:
    """A status's `filtered`: one FilterResult per matching filter."""
    return [_result(m) for m in matches]


async def filtered_statuses(
    session: AsyncSession,
    base_url: str,
    viewer_id: int,
    views: Sequence[PostView],
    context: str,
) -> list[Entity]:
    """Status entities for a timeline in `context`: posts a "hide" filter matches are left
    out; the others carry `filtered` (empty when nothing matched)."""
    filters = await viewer_filters(session, viewer_id)
    rendered: list[Entity] = []
    accounts: entities.Rendered = {}
    for view in views:
        matches = matches_for(filters, view, context)
        if hides(matches):
            continue
        entity = entities.status(base_url, view, viewer_id=viewer_id, rendered=accounts)
        results = filter_results(matches)
        entity["filtered"] = results
        if entity.get("reblog") is not None:
            entity["reblog"]["filtered"] = results
        rendered.append(entity)
    return rendered


async def hidden_post_ids(
    session: AsyncSession, viewer_id: int, views: Sequence[PostView], context: str
) -> set[int]:
    """Which of these posts a "hide" filter removes in `context` (notifications)."""
    filters = await viewer_filters(session, viewer_id)
    if not filters:
        return set()
    return {v.post.id for v in views if hides(matches_for(filters, v, context))}
