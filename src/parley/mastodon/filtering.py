"""Filters in Mastodon JSON: Filter, FilterKeyword, FilterStatus, V1Filter, FilterResult,
and applying a member's filters to a page of statuses for one context."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.filters.matching import ActiveFilter, FilterMatch, hides
from parley.domain.filters.models import Filter, FilterAction, FilterKeyword, FilterStatus
from parley.domain.filters.queries import active_filters, matches_for
from parley.domain.posts.views import PostView
from parley.mastodon import entities
from parley.mastodon.entities import Entity, iso


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
    filters = await active_filters(session, viewer_id)
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
    filters = await active_filters(session, viewer_id)
    if not filters:
        return set()
    return {v.post.id for v in views if hides(matches_for(filters, v, context))}
