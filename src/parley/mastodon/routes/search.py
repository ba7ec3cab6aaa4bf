"""GET /api/v2/search: accounts by name, statuses by text, hashtags by prefix.

What a status search can find is decided in parley.domain.search.queries. With
`resolve=true` a query naming a remote account (`user@host` or an https URL) fetches and
stores that account (parley.domain.federation.lookup); remote posts are not fetched.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import search_accounts
from parley.domain.errors import Invalid
from parley.domain.federation.lookup import resolve_account, with_resolved
from parley.domain.search import queries as search_queries
from parley.domain.tags.queries import followed_tag_ids
from parley.mastodon import entities
from parley.mastodon.auth import optional_member, runtime_of
from parley.mastodon.errors import ApiError
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response
from parley.mastodon.routes.followed_tags import tag_entities
from parley.mastodon.views import render_accounts, render_statuses

TYPES = ("accounts", "statuses", "hashtags")


# Mastodon's answers to a visitor (no token) asking for what needs a member.
NEEDS_MEMBER_TO_PAGE = "Search queries pagination is not supported without authentication"
NEEDS_MEMBER_TO_RESOLVE = (
    "Search queries that resolve remote resources are not supported without authentication"
)


async def search(request: Request) -> Response:
    # As Mastodon: visitors may search accounts and hashtags (apps browsing a server signed
    # out), but not page, resolve, nor search posts.
    member = await optional_member(request, "read:search")
    params = await Params.read(request)
    if member is None and params.has("offset"):
        raise ApiError(401, NEEDS_MEMBER_TO_PAGE)
    if member is None and params.boolean("resolve", False):
        raise ApiError(401, NEEDS_MEMBER_TO_RESOLVE)
    query = (params.string("q") or "").strip()
    if not query:
        # Rails' params.require(:q), as Mastodon answers a missing or blank query.
        raise ApiError(400, "param is missing or the value is empty: q")
    kind = params.string("type")
    if kind is not None and kind not in TYPES:
        raise Invalid("type", f"type must be one of {', '.join(TYPES)}")
    limit = max(1, min(params.integer("limit", 20) or 20, 40))
    offset = params.integer("offset", 0) or 0
    if offset < 0:
        raise Invalid("offset", "offset must not be negative")
    account_param = params.string("account_id")
    author_id = parse_id(account_param, "account_id") if account_param else None
    following = bool(params.boolean("following", False))
    resolve = bool(params.boolean("resolve", False))
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    body: dict[str, list[entities.Entity]] = {"accounts": [], "statuses": [], "hashtags": []}
    resolved = None
    if resolve and kind in (None, "accounts") and offset == 0:
        resolved = await resolve_account(runtime.ctx, query)
    async with runtime.db.reader() as session:
        if kind in (None, "accounts"):
            found = await search_accounts(session, query, limit=limit, offset=offset)
            found = await with_resolved(session, found, resolved, limit=limit)
            if following and member is not None:
                followed = await search_queries.followed_among(
                    session, member.id, [a.id for a in found]
                )
                found = [a for a in found if a.id in followed]
            body["accounts"] = await render_accounts(session, base, found)
        if kind in (None, "statuses") and member is not None:
            posts = await search_queries.search_posts(
                session,
                member.id,
                query,
                limit=limit,
                offset=offset,
                account_id=author_id,
                following=following,
            )
            body["statuses"] = await render_statuses(session, base, member.id, posts)
        if kind in (None, "hashtags"):
            tags = await search_queries.search_tags(session, query, limit=limit, offset=offset)
            viewer = member.id if member else None
            mine = await followed_tag_ids(session, viewer, [t.id for t in tags])
            body["hashtags"] = await tag_entities(
                session, base, tags, mine if member is not None else None
            )
    return json_response(body)


routes = [Route("/api/v2/search", search, methods=["GET"])]
