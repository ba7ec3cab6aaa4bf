"""The search page: accounts, parleys and hashtags for the words typed in the search box."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import search_accounts
from parley.domain.posts.views import hydrate
from parley.domain.search import queries as search_queries
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of

LIMIT = 20


async def search(request: Request) -> Response:
    viewer = await require_viewer(request)
    query = request.query_params.get("q", "").strip()
    people, entries, tags = [], [], []
    if query:
        async with runtime_of(request).db.reader() as session:
            people = await search_accounts(session, query, limit=5)
            posts = await search_queries.search_posts(
                session, viewer.account.id, query, limit=LIMIT
            )
            entries = await hydrate(session, viewer.account.id, posts)
            tags = await search_queries.search_tags(session, query, limit=10)
    return await render(
        request,
        "search/results.html",
        {"query": query, "people": people, "entries": entries, "tags": tags},
    )


routes = [Route("/search", search)]
