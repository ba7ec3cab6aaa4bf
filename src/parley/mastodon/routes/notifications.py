"""Notifications (list, get, dismiss, clear) and read markers."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account
from parley.domain.moderation.queries import strikes_with_appeals
from parley.domain.notifications import queries, service
from parley.domain.notifications.models import Notification
from parley.domain.portability.queries import find_moved_to, moved_targets, moved_to_in
from parley.domain.posts.models import Post
from parley.domain.posts.views import hydrate
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.filtering import hidden_post_ids
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import page_of, path_id

_Row = TypeVar("_Row", Account, Post)


async def render_notifications(
    session: AsyncSession,
    base: str,
    viewer_id: int,
    found: list[Notification],
    *,
    apply_filters: bool = False,
) -> list[entities.Entity]:
    """With `apply_filters`, notifications about posts a "hide" filter matches are left out.
    The page's posts, actors and their new accounts (`moved`) come in one query each."""
    post_ids = {n.post_id for n in found if n.post_id is not None}
    posts = await _rows(session, Post, post_ids)
    views = {v.post.id: v for v in await hydrate(session, viewer_id, posts)}
    hidden = (
        await hidden_post_ids(session, viewer_id, list(views.values()), "notifications")
        if apply_filters
        else set()
    )
    warnings = await _warnings(session, base, viewer_id, found)
    shown = [n for n in found if n.post_id not in hidden]
    actor_ids = {n.from_account_id for n in shown}
    actors = {a.id: a for a in await _rows(session, Account, actor_ids)}
    moved = await moved_targets(session, actors.values())
    rendered = []
    authors: entities.Rendered = {}  # the member's own posts come up again and again
    for n in shown:
        if (actor := actors.get(n.from_account_id)) is None:
            continue
        view = views.get(n.post_id) if n.post_id is not None else None
        status = (
            entities.status(base, view, viewer_id=viewer_id, rendered=authors) if view else None
        )
        warning = warnings.get(n.strike_id) if n.strike_id is not None else None
        moved_to = moved_to_in(actor, moved)
        rendered.append(entities.notification(base, n, actor, status, warning, moved_to=moved_to))
    return rendered


async def _rows(session: AsyncSession, model: type[_Row], ids: set[int]) -> list[_Row]:
    """The rows of `model` with these IDs (those that still exist), in one query or none."""
    if not ids:
        return []
    return list(await session.scalars(select(model).where(model.id.in_(ids))))


async def _warnings(
    session: AsyncSession, base: str, viewer_id: int, found: list[Notification]
) -> dict[int, entities.Entity]:
    """The AccountWarning of each moderation_warning (the member's own strikes only)."""
    if not any(n.strike_id is not None for n in found):
        return {}
    me = await session.get(Account, viewer_id)
    assert me is not None  # the caller's own account
    strikes, appeals = await strikes_with_appeals(session, viewer_id)
    moved_to = await find_moved_to(session, me)
    return {
        s.id: entities.account_warning(base, s, me, appeals.get(s.id), moved_to=moved_to)
        for s in strikes
    }


def type_filters(params: Params) -> tuple[list[str] | None, list[str] | None]:
    """`types[]` and `exclude_types[]` as domain notification types (None: no filter)."""
    types = params.strings("types")
    excluded = params.strings("exclude_types")
    return (
        # Asked-for types this server never sends match nothing, not everything.
        (entities.domain_notification_types(types) or ["-"]) if types else None,
        entities.domain_notification_types(excluded) or None,
    )


async def list_notifications(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    params = await Params.read(request)
    page = page_of(params, max_limit=80, default_limit=40)
    types, excluded = type_filters(params)
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    async with runtime.db.reader() as session:
        found = await queries.list_notifications(
            session, member.id, page, types=types, exclude_types=excluded
        )
        rendered = await render_notifications(session, base, member.id, found, apply_filters=True)
    return page_response(request, base, rendered, cursors=[n.id for n in found], limit=page.limit)


async def get_notification(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        found = await queries.get_notification(session, member.id, path_id(request))
        (rendered,) = await render_notifications(
            session, runtime.settings.base_url, member.id, [found]
        )
    return json_response(rendered)


async def dismiss(request: Request) -> Response:
    member = await require_member(request, "write:notifications")
    async with runtime_of(request).db.transaction() as session:
        await service.dismiss_notification(
            session, account_id=member.id, notification_id=path_id(request)
        )
    return json_response({})


async def clear(request: Request) -> Response:
    member = await require_member(request, "write:notifications")
    async with runtime_of(request).db.transaction() as session:
        await service.clear_notifications(session, account_id=member.id)
    return json_response({})


async def get_markers(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    params = await Params.read(request)
    wanted = params.strings("timeline") or None
    async with runtime_of(request).db.reader() as session:
        found = await queries.get_markers(session, member.id, wanted)
    return json_response({name: entities.marker(m) for name, m in found.items()})


async def save_markers(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    saved = {}
    async with runtime_of(request).db.transaction() as session:
        for timeline in ("home", "notifications"):
            sub = params.sub(timeline)
            if sub is None:
                continue
            marker = await service.set_marker(
                session,
                account_id=member.id,
                timeline=timeline,
                last_read_id=parse_id(sub.string("last_read_id")),
            )
            saved[timeline] = entities.marker(marker)
    return json_response(saved)


routes = [
    Route("/api/v1/notifications", list_notifications, methods=["GET"]),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id}", get_notification, methods=["GET"]),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
    Route("/api/v1/markers", get_markers, methods=["GET"]),
    Route("/api/v1/markers", save_markers, methods=["POST"]),
]
