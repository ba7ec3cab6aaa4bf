"""Scheduled statuses: POST /api/v1/statuses with `scheduled_at` (see routes.statuses), and
GET/PUT/DELETE /api/v1/scheduled_statuses[/:id]."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import Invalid
from parley.domain.posts.polls import PollSpec
from parley.domain.scheduled import queries
from parley.domain.scheduled import service as scheduled
from parley.domain.scheduled.models import ScheduledPost
from parley.domain.scheduled.service import ScheduledParams
from parley.mastodon.auth import Member, require_member, runtime_of
from parley.mastodon.entities import Entity, iso
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of, path_id


def parse_time(value: str | None) -> datetime:
    """An ISO 8601 time with a zone; anything else is the same error Mastodon gives."""
    try:
        parsed = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Invalid("scheduled_at", scheduled.TOO_SOON) from exc
    if parsed.tzinfo is None:
        raise Invalid("scheduled_at", scheduled.TOO_SOON)
    return parsed


def scheduled_status(row: ScheduledPost) -> Entity:
    p = row.params
    return {
        "id": str(row.id),
        "scheduled_at": iso(row.scheduled_at),
        "params": {
            "text": p.get("text", ""),
            "spoiler_text": p.get("spoiler_text") or None,
            "visibility": p.get("visibility") or "public",
            "sensitive": p.get("sensitive", False),
            "language": p.get("language"),
            "in_reply_to_id": p.get("in_reply_to_id"),
            "quoted_status_id": str(p["quote_of_id"]) if p.get("quote_of_id") else None,
            "poll": p.get("poll"),
            "media_ids": None,
            "scheduled_at": None,
            "idempotency": None,
            "application_id": 0,  # deprecated; Parley keeps the app's name, not an id
            "with_rate_limit": False,
        },
        "media_attachments": [],
    }


async def schedule_from_params(
    request: Request, member: Member, params: Params, poll: PollSpec | None
) -> Response:
    """The create-status handler's answer when `scheduled_at` is given: a ScheduledStatus."""
    at = parse_time(params.string("scheduled_at"))
    if params.strings("media_ids"):
        # Media would sit unattached until then and could be pruned; refused, not dropped.
        raise Invalid("media_ids", "Scheduled posts with media are not supported yet")
    reply_to = params.string("in_reply_to_id")
    quoted = params.string("quoted_status_id") or params.string("quote_id")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        author = await acting_account(session, member)
        row = await scheduled.schedule_post(
            session,
            runtime.ctx,
            author=author,
            scheduled_at=at,
            params=ScheduledParams(
                text=params.string("status") or "",
                spoiler_text=params.string("spoiler_text") or "",
                visibility=params.string("visibility") or None,
                sensitive=bool(params.boolean("sensitive", False)),
                language=params.string("language") or None,
                in_reply_to_id=parse_id(reply_to) if reply_to else None,
                quote_of_id=parse_id(quoted) if quoted else None,
                poll=None
                if poll is None
                else {
                    "options": poll.options,
                    "expires_in": poll.expires_in,
                    "multiple": poll.multiple,
                    "hide_totals": poll.hide_totals,
                },
                application=member.grant.application.name,
            ),
        )
    return json_response(scheduled_status(row))


async def list_scheduled(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    params = await Params.read(request)
    page = page_of(params)
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        rows = await queries.list_scheduled_posts(session, member.id, page)
    return page_response(
        request,
        runtime.settings.base_url,
        [scheduled_status(r) for r in rows],
        cursors=[r.id for r in rows],
        limit=page.limit,
    )


async def get_scheduled(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    async with runtime_of(request).db.reader() as session:
        row = await queries.get_scheduled_post(session, member.id, path_id(request))
    return json_response(scheduled_status(row))


async def update_scheduled(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        account = await acting_account(session, member)
        row = await queries.get_scheduled_post(session, member.id, path_id(request))
        if params.has("scheduled_at"):
            row = await scheduled.reschedule_post(
                session,
                account=account,
                scheduled_id=row.id,
                scheduled_at=parse_time(params.string("scheduled_at")),
            )
        return json_response(scheduled_status(row))


async def delete_scheduled(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    async with runtime_of(request).db.transaction() as session:
        await scheduled.cancel_scheduled_post(
            session, account=await acting_account(session, member), scheduled_id=path_id(request)
        )
    return json_response({})


routes = [
    Route("/api/v1/scheduled_statuses", list_scheduled, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id}", get_scheduled, methods=["GET"]),
    Route("/api/v1/scheduled_statuses/{id}", update_scheduled, methods=["PUT"]),
    Route("/api/v1/scheduled_statuses/{id}", delete_scheduled, methods=["DELETE"]),
]
