"""Lists: create, rename, delete, choose members among followed accounts, read a list's stream."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import DomainError, NotFound
from parley.domain.pagination import MAX_LIMIT, PageRequest
from parley.domain.posts.views import hydrate
from parley.domain.relationships.queries import list_following
from parley.domain.timelines import lists
from parley.domain.timelines.models import ReplyPolicy
from parley.domain.timelines.queries import list_timeline
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.paging import page_request
from parley.web.routes.timelines import render_stream
from parley.web.templating import render
from parley.web.viewer import Viewer, require_viewer, runtime_of

POLICIES = {
    ReplyPolicy.LIST: "Comments to other list members",
    ReplyPolicy.FOLLOWED: "Comments to anyone I follow",
    ReplyPolicy.NONE: "No comments",
}


def _list_id(request: Request) -> int:
    return int(request.path_params["list_id"])


async def _index_page(
    request: Request, viewer: Viewer, error: DomainError | None = None, title: str = ""
) -> Response:
    async with runtime_of(request).db.reader() as session:
        mine = await lists.list_lists(session, viewer.account.id)
    return await render(
        request,
        "lists/index.html",
        {"lists": mine, "error": error, "title": title},
        status_code=422 if error else 200,
    )


async def index(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "GET":
        return await _index_page(request, viewer)
    runtime = runtime_of(request)
    form = await checked_form(request)
    title = forms.text(form, "title")
    try:
        async with runtime.db.transaction() as session:
            created = await lists.create_list(session, owner=viewer.account, title=title)
    except DomainError as exc:
        return await _index_page(request, viewer, exc, title)
    return RedirectResponse(f"/lists/{created.id}/edit", status_code=303)


async def stream(request: Request) -> Response:
    viewer = await require_viewer(request)
    page = page_request(request)
    async with runtime_of(request).db.reader() as session:
        found = await lists.get_list(session, viewer.account.id, _list_id(request))
        posts = await list_timeline(session, viewer.account.id, found.id, page)
        entries = await hydrate(session, viewer.account.id, posts)
    return await render_stream(
        request,
        entries,
        [p.id for p in posts],
        {"title": found.title, "list": found, "empty": "No parleys from this list's members yet."},
        template="lists/stream.html",
        filter_context="home",
    )


async def _edit_page(
    request: Request, viewer: Viewer, *, error: DomainError | None = None
) -> Response:
    me = viewer.account.id
    everyone = PageRequest(limit=MAX_LIMIT)
    async with runtime_of(request).db.reader() as session:
        found = await lists.get_list(session, me, _list_id(request))
        members = [a for _, a in await lists.list_members(session, me, found.id, everyone)]
        followed = [a for _, a in await list_following(session, me, me, everyone)]
    member_ids = {a.id for a in members}
    context: dict[str, Any] = {
        "list": found,
        "members": members,
        "candidates": [a for a in followed if a.id not in member_ids],
        "policies": POLICIES,
        "error": error,
        "notice": "List saved." if request.query_params.get("saved") else None,
    }
    return await render(request, "lists/edit.html", context, status_code=422 if error else 200)


async def edit(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "GET":
        return await _edit_page(request, viewer)
    runtime = runtime_of(request)
    form = await checked_form(request)
    try:
        async with runtime.db.transaction() as session:
            await lists.update_list(
                session,
                owner=viewer.account,
                list_id=_list_id(request),
                title=forms.text(form, "title"),
                replies_policy=forms.text(form, "replies_policy") or None,
                exclusive=forms.flag(form, "exclusive"),
            )
    except NotFound:
        raise
    except DomainError as exc:
        return await _edit_page(request, viewer, error=exc)
    return RedirectResponse(f"/lists/{_list_id(request)}/edit?saved=1", status_code=303)


async def members(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    change = request.path_params["change"]
    if change not in ("add", "remove"):
        raise NotFound("No such action")
    command = lists.add_list_members if change == "add" else lists.remove_list_members
    form = await checked_form(request)
    account_id = forms.integer(form, "account_id")
    if account_id is None:
        raise NotFound("No such account")
    try:
        async with runtime.db.transaction() as session:
            await command(
                session, owner=viewer.account, list_id=_list_id(request), account_ids=[account_id]
            )
    except NotFound:
        raise
    except DomainError as exc:
        return await _edit_page(request, viewer, error=exc)
    return RedirectResponse(f"/lists/{_list_id(request)}/edit#members", status_code=303)


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    await checked_form(request)
    async with runtime.db.transaction() as session:
        await lists.delete_list(session, owner=viewer.account, list_id=_list_id(request))
    return RedirectResponse("/lists", status_code=303)


routes = [
    Route("/lists", index, methods=["GET", "POST"]),
    Route("/lists/{list_id:int}", stream),
    Route("/lists/{list_id:int}/edit", edit, methods=["GET", "POST"]),
    Route("/lists/{list_id:int}/members/{change:str}", members, methods=["POST"]),
    Route("/lists/{list_id:int}/delete", delete, methods=["POST"]),
]
