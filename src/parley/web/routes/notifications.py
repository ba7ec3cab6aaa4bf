"""Notifications: grouped, newest first; viewing the first page marks them read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import get_account
from parley.domain.errors import NotFound
from parley.domain.notifications import queries as notifications
from parley.domain.notifications.service import mark_notifications_read
from parley.domain.posts.queries import get_visible_post
from parley.domain.posts.views import PostView, hydrate
from parley.web.notification_groups import group_notifications
from parley.web.paging import older_url, page_request
from parley.web.routes.filters import apply_filters
from parley.web.templating import render
from parley.web.viewer import require_viewer, runtime_of


async def index(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    me = viewer.account.id
    page = page_request(request)
    async with runtime.db.reader() as session:
        items = await notifications.list_notifications(session, me, page)
        markers = await notifications.get_markers(session, me, ["notifications"])
        accounts: dict[int, Account] = {}
        for account_id in dict.fromkeys(n.from_account_id for n in items):
            try:
                accounts[account_id] = await get_account(session, account_id)
            except NotFound:
                continue
        found = []
        for post_id in dict.fromkeys(n.post_id for n in items if n.post_id is not None):
            try:
                found.append(await get_visible_post(session, viewer_id=me, post_id=post_id))
            except NotFound:
                continue
        views: dict[int, PostView] = {v.post.id: v for v in await hydrate(session, me, found)}
    # Notifications about parleys a "hide" filter matches are left out (read marker unchanged).
    kept, _warned = await apply_filters(request, list(views.values()), "notifications")
    hidden = set(views) - {v.post.id for v in kept}
    shown = [n for n in items if n.post_id not in hidden]
    marker = markers.get("notifications")
    groups = group_notifications(
        shown, accounts, views, last_read_id=marker.last_read_id if marker else 0
    )
    if items and page.max_id is None:
        async with runtime.db.transaction() as session:
            await mark_notifications_read(session, account_id=me, up_to_id=items[0].id)
    return await render(
        request,
        "notifications/index.html",
        {"groups": groups, "older": older_url(request, [n.id for n in items])},
    )


routes = [Route("/notifications", index)]
