"""Conversations (mentioned-only threads): list, DELETE /:id and POST /:id/read."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.conversations import queries, service
from parley.domain.conversations.queries import Conversation
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.entities import Entity
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of, path_id, render_accounts, render_statuses


async def _render(
    session: AsyncSession, base: str, viewer_id: int, found: list[Conversation]
) -> list[Entity]:
    statuses = await render_statuses(session, base, viewer_id, [c.last_post for c in found])
    by_id = {s["id"]: s for s in statuses}
    people = await render_accounts(session, base, [a for c in found for a in c.participants])
    by_account = {e["id"]: e for e in people}
    return [
        {
            "id": str(c.thread_id),
            "unread": c.unread,
            "accounts": [by_account[str(a.id)] for a in c.participants],
            "last_status": by_id.get(str(c.last_post.id)),
        }
        for c in found
    ]


async def list_conversations(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    params = await Params.read(request)
    page = page_of(params)
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    async with runtime.db.reader() as session:
        found = await queries.list_conversations(session, member.id, page)
        rendered = await _render(session, base, member.id, found)
    return page_response(
        request, base, rendered, cursors=[c.last_post.id for c in found], limit=page.limit
    )


async def read_conversation(request: Request) -> Response:
    member = await require_member(request, "write:conversations")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        found = await service.mark_conversation_read(
            session, account=await acting_account(session, member), thread_id=path_id(request)
        )
        (rendered,) = await _render(session, runtime.settings.base_url, member.id, [found])
    return json_response(rendered)


async def remove_conversation(request: Request) -> Response:
    member = await require_member(request, "write:conversations")
    async with runtime_of(request).db.transaction() as session:
        await service.remove_conversation(
            session, account=await acting_account(session, member), thread_id=path_id(request)
        )
    return json_response({})


routes = [
    Route("/api/v1/conversations", list_conversations, methods=["GET"]),
    Route("/api/v1/conversations/{id}", remove_conversation, methods=["DELETE"]),
    Route("/api/v1/conversations/{id}/read", read_conversation, methods=["POST"]),
]
