"""Following, muting and blocking from a profile; accepting or rejecting follow requests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.accounts.queries import get_account
from parley.domain.errors import NotFound
from parley.domain.relationships import queries as relationships
from parley.domain.relationships import service
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.paging import older_url, page_request
from parley.web.routes.auth import safe_next
from parley.web.templating import is_htmx, render
from parley.web.viewer import require_viewer, runtime_of

ACTIONS = (
    "follow",
    "unfollow",
    "hide_echoes",
    "show_echoes",
    "mute",
    "unmute",
    "block",
    "unblock",
)


async def act(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound("No such action")
    form = await checked_form(request)
    back = safe_next(forms.text(form, "next"))
    me = viewer.account
    async with runtime.db.transaction() as session:
        target = await get_account(session, int(request.path_params["account_id"]))
        if target.id == me.id:
            raise NotFound("Record not found")
        if action in ("follow", "show_echoes", "hide_echoes"):
            await service.follow_account(
                session, follower=me, target=target, show_echoes=action != "hide_echoes"
            )
        elif action == "unfollow":
            await service.unfollow_account(session, follower=me, target=target)
        elif action == "mute":
            await service.mute_account(session, actor=me, target=target)
        elif action == "unmute":
            await service.unmute_account(session, actor=me, target=target)
        elif action == "block":
            await service.block_account(session, actor=me, target=target)
        else:
            await service.unblock_account(session, actor=me, target=target)
    if not is_htmx(request):
        return RedirectResponse(back, status_code=303)
    async with runtime.db.reader() as session:
        (relationship,) = await relationships.get_relationships(session, me.id, [target.id])
    return await render(
        request,
        "accounts/_follow_button.html",
        {"account": target, "relationship": relationship, "back_to": back},
    )


async def follow_requests(request: Request) -> Response:
    viewer = await require_viewer(request)
    page = page_request(request)
    async with runtime_of(request).db.reader() as session:
        pairs = await relationships.list_follow_requests(session, viewer.account.id, page)
    return await render(
        request,
        "accounts/follow_requests.html",
        {
            "people": [person for _, person in pairs],
            "older": older_url(request, [cursor for cursor, _ in pairs]),
        },
    )


async def answer_request(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    await checked_form(request)
    follower_id = int(request.path_params["account_id"])
    if request.path_params["answer"] not in ("accept", "reject"):
        raise NotFound("No such action")
    async with runtime.db.transaction() as session:
        me = await get_account(session, viewer.account.id)
        if request.path_params["answer"] == "accept":
            await service.accept_follow_request(session, target=me, follower_id=follower_id)
        else:
            await service.reject_follow_request(session, target=me, follower_id=follower_id)
    return RedirectResponse("/follow_requests", status_code=303)


routes = [
    Route("/accounts/{account_id:int}/{action}", act, methods=["POST"]),
    Route("/follow_requests", follow_requests),
    Route(
        "/follow_requests/{account_id:int}/{answer:str}",
        answer_request,
        methods=["POST"],
    ),
]
