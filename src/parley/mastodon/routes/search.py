"""GET /api/v2/search: accounts by name; statuses and hashtags are not searched yet.

Mastodon without a search engine also finds no statuses by text; `resolve` (fetching
remote accounts and posts) is not offered, so it is ignored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import search_accounts
from parley.domain.errors import Invalid
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response

TYPES = ("accounts", "statuses", "hashtags")


async def search(request: Request) -> Response:
    await require_member(request, "read:search")
    params = await Params.read(request)
    query = (params.string("q") or "").strip()
    kind = params.string("type")
    if kind is not None and kind not in TYPES:
        raise Invalid("type", f"type must be one of {', '.join(TYPES)}")
    limit = max(1, min(params.integer("limit", 20) or 20, 40))
    offset = params.integer("offset", 0) or 0
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    found = []
    if query and kind in (None, "accounts") and offset == 0:
        async with runtime.db.reader() as session:
            found = await search_accounts(session, query, limit=limit)
    return json_response(
        {
            "accounts": [entities.account(base, a) for a in found],
            "statuses": [],
            "hashtags": [],
        }
    )


routes = [Route("/api/v2/search", search, methods=["GET"])]
