"""Grouped notifications (/api/v2, Mastodon 4.3) and unread counts.

Each notification is its own group (`ungrouped-<id>`, Mastodon's key for ungroupable ones):
a valid grouping that apps display correctly; merging likes into one group can come later.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import get_account
from parley.domain.errors import NotFound
from parley.domain.notifications import queries, service
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response, link_header
from parley.mastodon.routes.notifications import render_notifications, type_filters
from parley.mastodon.views import page_of, render_accounts

PREFIX = "ungrouped-"


def _group_id(request: Request) -> int:
    key = str(request.path_params["group_key"])
    if not key.startswith(PREFIX):
        raise NotFound("Record not found")
    return parse_id(key.removeprefix(PREFIX))


def _grouped(rendered: list[entities.Entity]) -> entities.Entity:
    accounts: dict[str, entities.Entity] = {}
    statuses: dict[str, entities.Entity] = {}
    groups = []
    for n in rendered:
        accounts[n["account"]["id"]] = n["account"]
        status = n.get("status")
        if status is not None:
            statuses[status["id"]] = status
        groups.append(
            {
                "group_key": n["group_key"],
                "notifications_count": 1,
                "type": n["type"],
                "most_recent_notification_id": int(n["id"]),
                "page_min_id": n["id"],
                "page_max_id": n["id"],
                "latest_page_notification_at": n["created_at"],
                "sample_account_ids": [n["account"]["id"]],
                "status_id": status["id"] if status is not None else None,
                **(
                    {"moderation_warning": n["moderation_warning"]}
                    if "moderation_warning" in n
                    else {}
                ),
            }
        )
    return {
        "accounts": list(accounts.values()),
        "statuses": list(statuses.values()),
        "notification_groups": groups,
    }


async def list_groups(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    params = await Params.read(request)
    page = page_of(params, max_limit=80, default_limit=40)
    types, excluded = type_filters(params)
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    async with runtime.db.reader() as session:
        found = await queries.list_notifications(
            session, member.id, page, types=types, exclude_types=excluded
        )
        rendered = await render_notifications(session, base, member.id, found, apply_filters=True)
    link = link_header(
        request,
        base,
        newest=found[0].id if found else None,
        oldest=found[-1].id if found else None,
        full=len(found) >= page.limit,
    )
    return json_response(_grouped(rendered), headers={"Link": link} if link else None)


async def get_group(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        found = await queries.get_notification(session, member.id, _group_id(request))
        rendered = await render_notifications(
            session, runtime.settings.base_url, member.id, [found]
        )
    return json_response(_grouped(rendered))


async def group_accounts(request: Request) -> Response:
    """Who is in a group (apps page through a large group's likers): here, its one account."""
    member = await require_member(request, "read:notifications")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        found = await queries.get_notification(session, member.id, _group_id(request))
        account = await get_account(session, found.from_account_id)
        body = await render_accounts(session, runtime.settings.base_url, [account])
    return json_response(body)


async def dismiss_group(request: Request) -> Response:
    member = await require_member(request, "write:notifications")
    async with runtime_of(request).db.transaction() as session:
        await service.dismiss_notification(
            session, account_id=member.id, notification_id=_group_id(request)
        )
    return json_response({})


async def unread_count(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    params = await Params.read(request)
    cap = max(1, min(params.integer("limit", 100) or 100, 1000))
    async with runtime_of(request).db.reader() as session:
        count = await queries.unread_count(session, member.id, cap=cap)
    return json_response({"count": count})


routes = [
    Route("/api/v1/notifications/unread_count", unread_count, methods=["GET"]),
    Route("/api/v2/notifications/unread_count", unread_count, methods=["GET"]),
    Route("/api/v2/notifications", list_groups, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}", get_group, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}/accounts", group_accounts, methods=["GET"]),
    Route("/api/v2/notifications/{group_key}/dismiss", dismiss_group, methods=["POST"]),
]
