"""Conversations page: threads of mentioned-only parleys, newest first, unread marked."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.conversations import queries, service
from parley.domain.errors import NotFound
from parley.domain.posts.views import hydrate
from parley.web.csrf import checked_form
from parley.web.paging import older_url, page_request
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of


async def index(request: Request) -> Response:
    viewer = await require_viewer(request)
    page = page_request(request)
    me = viewer.account.id
    async with runtime_of(request).db.reader() as session:
        found = await queries.list_conversations(session, me, page)
        views = {v.post.id: v for v in await hydrate(session, me, [c.last_post for c in found])}
    items = [(c, views[c.last_post.id]) for c in found if c.last_post.id in views]
    return await render(
        request,
        "conversations/index.html",
        {"items": items, "older": older_url(request, [c.last_post.id for c in found])},
    )


async def act(request: Request) -> Response:
    viewer = await require_viewer(request)
    action = request.path_params["action"]
    if action not in ("read", "remove"):
        raise NotFound("No such action")
    await checked_form(request)
    thread_id = int(request.path_params["thread_id"])
    async with runtime_of(request).db.transaction() as session:
        if action == "read":
            await service.mark_conversation_read(
                session, account=viewer.account, thread_id=thread_id
            )
        else:
            await service.remove_conversation(session, account=viewer.account, thread_id=thread_id)
    return RedirectResponse("/conversations", status_code=303)


routes = [
    Route("/conversations", index),
    Route("/conversations/{thread_id:int}/{action}", act, methods=["POST"]),
]
