"""Lists Mastodon always answers, for features Parley does not have: trends, announcements,
follow suggestions, featured hashtags and endorsements.

Mastodon returns these lists even when it has nothing in them (trends switched off, no
announcement published, nobody to suggest, nothing featured), and apps call them on their main
screens (Elk's Explore, Phanpy's and Tusky's home announcements, every profile's featured tags):
an empty list, exactly as such a Mastodon answers, is the honest answer here. None of these
features exists anywhere else in Parley, and the instance documents never advertise them
(`max_featured_tags` is 0). Actions on one item (dismiss an announcement, ...) find nothing: 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import get_visible_account
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.responses import json_response
from parley.mastodon.views import path_id

Endpoint = Callable[[Request], Awaitable[Response]]


def _public() -> Endpoint:
    """Trends: readable without a token (Mastodon caches them for visitors)."""

    async def endpoint(_request: Request) -> Response:
        return json_response([])

    return endpoint


def _members(scope: str) -> Endpoint:
    """A member's own list: needs a user token with `scope`, as in Mastodon."""

    async def endpoint(request: Request) -> Response:
        await require_member(request, scope)
        return json_response([])

    return endpoint


async def account_featured_tags(request: Request) -> Response:
    """An account's featured hashtags: none, but an unknown account is still a 404."""
    async with runtime_of(request).db.reader() as session:
        await get_visible_account(session, path_id(request))
    return json_response([])


routes = [
    Route("/api/v1/trends", _public(), methods=["GET"]),  # the pre-3.5 name of trends/tags
    Route("/api/v1/trends/tags", _public(), methods=["GET"]),
    Route("/api/v1/trends/statuses", _public(), methods=["GET"]),
    Route("/api/v1/trends/links", _public(), methods=["GET"]),
    Route("/api/v1/announcements", _members("read"), methods=["GET"]),
    Route("/api/v1/suggestions", _members("read:accounts"), methods=["GET"]),
    Route("/api/v2/suggestions", _members("read:accounts"), methods=["GET"]),
    Route("/api/v1/featured_tags", _members("read:accounts"), methods=["GET"]),
    Route("/api/v1/endorsements", _members("read:accounts"), methods=["GET"]),
    Route("/api/v1/accounts/{id}/featured_tags", account_featured_tags, methods=["GET"]),
]
