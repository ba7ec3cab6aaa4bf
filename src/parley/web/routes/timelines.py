"""Streams of parleys: home, local, a hashtag, bookmarks and upvoted."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.posts.views import PostView, hydrate
from parley.domain.timelines import queries as timelines
from parley.web.paging import older_url, page_request
from parley.web.routes.filters import apply_filters
from parley.web.routes.tags import follow_state
from parley.web.templating import is_htmx, render
from parley.web.viewer import current_viewer, one_reader, request_reader, require_viewer


async def render_stream(
    request: Request,
    entries: list[PostView],
    cursor_ids: list[int],
    context: dict[str, Any],
    *,
    template: str = "timelines/timeline.html",
    filter_context: str | None = None,
) -> Response:
    """A stream page; a "load more" request from htmx gets only the next entries.

    With `filter_context`, the viewer's filters apply (see web.routes.filters)."""
    warned: dict[int, str] = {}
    if filter_context is not None:
        entries, warned = await apply_filters(request, entries, filter_context)
    page = {
        "entries": entries,
        "filtered": warned,
        "older": older_url(request, cursor_ids),
        **context,
    }
    if is_htmx(request) and "max_id" in request.query_params:
        return await render(request, "timelines/_entries.html", page)
    return await render(request, template, page)


async def home(request: Request) -> Response:
    viewer = await require_viewer(request)
    page = page_request(request)
    async with request_reader(request) as session:
        posts = await timelines.home_timeline(session, viewer.account.id, page)
        entries = await hydrate(session, viewer.account.id, posts)
    return await render_stream(
        request,
        entries,
        [p.id for p in posts],
        {
            "title": "Home",
            "composer": True,
            "empty": "Your home is quiet. Follow people to see their parleys here.",
            "empty_link": ("/local", "See who is on this server"),
        },
        filter_context="home",
    )


async def local(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    page = page_request(request)
    async with request_reader(request) as session:
        posts = await timelines.local_timeline(session, viewer_id, page)
        entries = await hydrate(session, viewer_id, posts)
    return await render_stream(
        request,
        entries,
        [p.id for p in posts],
        {
            "title": "Local",
            "subtitle": "Public parleys from this server",
            "empty": "Nobody here has posted in public yet.",
        },
        filter_context="public",
    )


async def tag(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    name = request.path_params["name"]
    page = page_request(request)
    async with request_reader(request) as session:
        posts = await timelines.tag_timeline(session, viewer_id, name, page)
        entries = await hydrate(session, viewer_id, posts)
        tag_follow = await follow_state(session, viewer_id, name)
    return await render_stream(
        request,
        entries,
        [p.id for p in posts],
        {
            "title": f"#{name}",
            "subtitle": "Public parleys with this hashtag",
            "empty": f"No public parleys with #{name} yet.",
            "tag_follow": tag_follow,
        },
        filter_context="public",
    )


async def bookmarks(request: Request) -> Response:
    viewer = await require_viewer(request)
    page = page_request(request)
    async with request_reader(request) as session:
        pairs = await timelines.bookmarks_timeline(session, viewer.account.id, page)
        entries = await hydrate(session, viewer.account.id, [post for _, post in pairs])
    return await render_stream(
        request,
        entries,
        [cursor for cursor, _ in pairs],
        {
            "title": "Bookmarks",
            "subtitle": "Only you can see your bookmarks",
            "empty": "Bookmark a parley to find it here later.",
        },
    )


async def upvoted(request: Request) -> Response:
    viewer = await require_viewer(request)
    page = page_request(request)
    async with request_reader(request) as session:
        pairs = await timelines.upvoted_timeline(session, viewer.account.id, page)
        entries = await hydrate(session, viewer.account.id, [post for _, post in pairs])
    return await render_stream(
        request,
        entries,
        [cursor for cursor, _ in pairs],
        {"title": "Upvoted", "empty": "Parleys you upvote appear here."},
    )


routes = [
    Route("/home", one_reader(home)),
    Route("/local", one_reader(local)),
    Route("/tags/{name}", one_reader(tag)),
    Route("/bookmarks", one_reader(bookmarks)),
    Route("/upvoted", one_reader(upvoted)),
]
