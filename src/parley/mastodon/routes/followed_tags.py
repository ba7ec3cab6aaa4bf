"""Hashtags: GET /api/v1/tags/:name, follow and unfollow, and the followed tags list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.posts.models import Tag
from parley.domain.tags import queries as tags
from parley.domain.tags import service as tag_service
from parley.domain.tags.history import TagDay, tag_history
from parley.mastodon import entities
from parley.mastodon.auth import optional_member, require_member, runtime_of
from parley.mastodon.entities import Entity
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of


def tag_entity(
    base_url: str, tag: Tag, *, following: bool | None, history: Sequence[TagDay] = ()
) -> Entity:
    """Mastodon's Tag (the search and tag endpoints; statuses carry the shorter StatusTag)."""
    return {
        "id": str(tag.id),
        "name": tag.display_name,
        "url": entities.tag_url(base_url, tag.name),
        "history": entities.tag_history(history),
        "following": following,
    }


async def tag_entities(
    session: AsyncSession, base_url: str, found: Sequence[Tag], following: set[int] | None
) -> list[Entity]:
    """Tag entities with their 7-day history (one query for all); `following` None when
    signed out, else the ids of the tags the member follows."""
    history = await tag_history(session, [t.id for t in found])
    return [
        tag_entity(
            base_url,
            t,
            following=None if following is None else t.id in following,
            history=history[t.id],
        )
        for t in found
    ]


def _name(request: Request) -> str:
    return str(request.path_params["name"])


async def show_tag(request: Request) -> Response:
    member = await optional_member(request, "read")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        tag = await tags.get_tag(session, _name(request))
        followed = await tags.followed_tag_ids(session, member.id if member else None, [tag.id])
        (entity,) = await tag_entities(
            session, runtime.settings.base_url, [tag], followed if member else None
        )
    return json_response(entity)


async def follow(request: Request) -> Response:
    member = await require_member(request, "write:follows")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        tag = await tag_service.follow_tag(
            session, account=await acting_account(session, member), name=_name(request)
        )
        (entity,) = await tag_entities(
            session, runtime.settings.base_url, [tag], {tag.id} if True else set()
        )
    return json_response(entity)


async def unfollow(request: Request) -> Response:
    member = await require_member(request, "write:follows")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        tag = await tag_service.unfollow_tag(
            session, account=await acting_account(session, member), name=_name(request)
        )
        (entity,) = await tag_entities(
            session, runtime.settings.base_url, [tag], {tag.id} if False else set()
        )
    return json_response(entity)


async def followed_tags(request: Request) -> Response:
    member = await require_member(request, "read:follows")
    params = await Params.read(request)
    page = page_of(params, max_limit=200, default_limit=100)
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    async with runtime.db.reader() as session:
        rows = await tags.list_followed_tags(session, member.id, page)
        found = [t for _c, t in rows]
        body = await tag_entities(session, base, found, {t.id for t in found})
    return page_response(
        request,
        base,
        body,
        cursors=[c for c, _t in rows],
        limit=page.limit,
    )


routes = [
    Route("/api/v1/followed_tags", followed_tags, methods=["GET"]),
    Route("/api/v1/tags/{name}", show_tag, methods=["GET"]),
    Route("/api/v1/tags/{name}/follow", follow, methods=["POST"]),
    Route("/api/v1/tags/{name}/unfollow", unfollow, methods=["POST"]),
]
