"""The notification policy (v1 and v2) and the filtered-notification requests.

Parley does not filter notifications: every kind is accepted, so nothing is ever held as a
request. Mastodon 4.3 apps (Phanpy, Ivory, Tusky) read the policy and the requests on the
notifications screen; they get exactly what Mastodon answers for a member whose policy accepts
everything: all `accept`, zero pending, no requests. Asking to filter or drop is refused with
Mastodon's 422 rather than stored and silently ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import Invalid
from parley.mastodon.auth import require_member
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response

V2_FIELDS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
V1_FIELDS = (
    "filter_not_following",
    "filter_not_followers",
    "filter_new_accounts",
    "filter_private_mentions",
)
ACTIONS = ("accept", "filter", "drop")
NOT_FILTERED = "Parley does not filter notifications: every kind is accepted"
Endpoint = Callable[[Request], Awaitable[Response]]
SUMMARY = {"pending_requests_count": 0, "pending_notifications_count": 0}


def _v2() -> dict[str, object]:
    return {**dict.fromkeys(V2_FIELDS, "accept"), "summary": SUMMARY}


def _v1() -> dict[str, object]:
    return {**dict.fromkeys(V1_FIELDS, False), "summary": SUMMARY}


def _check_v2(params: Params) -> None:
    for field in V2_FIELDS:
        value = params.string(field)
        if value is not None and value not in ACTIONS:
            raise Invalid(field, f"{field} must be one of {', '.join(ACTIONS)}")
        if value not in (None, "accept"):
            raise Invalid(field, NOT_FILTERED)


def _check_v1(params: Params) -> None:
    for field in V1_FIELDS:
        if params.boolean(field, False):
            raise Invalid(field, NOT_FILTERED)


def _policy(body: Callable[[], dict[str, object]], check: Callable[[Params], None]) -> Endpoint:
    """GET reads the policy; PATCH checks the change (only "accept everything" is possible)."""

    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            await require_member(request, "read:notifications")
        else:
            await require_member(request, "write:notifications")
            check(await Params.read(request))
        return json_response(body())

    return endpoint


async def requests(request: Request) -> Response:
    await require_member(request, "read:notifications")
    return json_response([])


async def merged(request: Request) -> Response:
    # Nothing was ever filtered, so nothing is waiting to be merged back.
    await require_member(request, "read:notifications")
    return json_response({"merged": True})


async def decide_many(request: Request) -> Response:
    # Mastodon answers {} for the bulk actions whatever the ids; none can exist here.
    await require_member(request, "write:notifications")
    return json_response({})


# Before the notifications routes: `/api/v1/notifications/{id}` would take "policy" as an id.
routes = [
    Route("/api/v2/notifications/policy", _policy(_v2, _check_v2), methods=["GET", "PATCH"]),
    Route("/api/v1/notifications/policy", _policy(_v1, _check_v1), methods=["GET", "PATCH"]),
    Route("/api/v1/notifications/requests", requests, methods=["GET"]),
    Route("/api/v1/notifications/requests/merged", merged, methods=["GET"]),
    Route("/api/v1/notifications/requests/accept", decide_many, methods=["POST"]),
    Route("/api/v1/notifications/requests/dismiss", decide_many, methods=["POST"]),
]
