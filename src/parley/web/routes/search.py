"""The search page: accounts, parleys and hashtags for the words typed in the search box."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import search_accounts
from parley.domain.federation.lookup import resolve_account, with_resolved
from parley.domain.posts.views import hydrate
from parley.domain.relationships.queries import Relationship, get_relationships
from parley.domain.search import queries as search_queries
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of

LIMIT = 20


async def search(request: Request) -> Response:
    viewer = await require_viewer(request)
    query = request.query_params.get("q", "").strip()
    people, entries, tags = [], [], []
    remote: Relationship | None = None
    resolved: int | None = None
    if query:
        runtime = runtime_of(request)
        # `@user@host` or a profile URL: fetch that account from its server if need be.
        resolved = await resolve_account(runtime.ctx, query)
        async with runtime.db.reader() as session:
            people = await search_accounts(session, query, limit=5)
            people = await with_resolved(session, people, resolved, limit=5)
            if resolved is not None and any(p.id == resolved for p in people):
                (remote,) = await get_relationships(session, viewer.account.id, [resolved])
            posts = await search_queries.search_posts(
                session, viewer.account.id, query, limit=LIMIT
            )
            entries = await hydrate(session, viewer.account.id, posts)
            tags = await search_queries.search_tags(session, query, limit=10)
    return await render(
        request,
        "search/results.html",
        {
            "query": query,
            "people": people,
            "entries": entries,
            "tags": tags,
            "resolved": resolved,
            "resolved_relationship": remote,
        },
    )


routes = [Route("/search", search)]
