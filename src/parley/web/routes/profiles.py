"""Profiles: the header, pinned parleys, the tabs, and who follows whom."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import find_account_by_acct
from parley.domain.errors import NotFound
from parley.domain.interactions.queries import list_pinned
from parley.domain.portability.queries import find_moved_to
from parley.domain.posts.views import hydrate
from parley.domain.relationships import queries as relationships
from parley.domain.relationships.queries import Relationship
from parley.domain.timelines.queries import profile_timeline
from parley.web.paging import older_url, page_request
from parley.web.routes.timelines import render_stream
from parley.web.templating import is_htmx, render
from parley.web.viewer import Viewer, current_viewer, runtime_of

TABS = {"": "Parleys", "with_comments": "With comments", "media": "Media"}


async def find_profile(session: AsyncSession, request: Request, own_domain: str) -> Account:
    """The account named in the URL: `/@name` here, `/@name@domain` elsewhere."""
    username, _, domain = request.path_params["acct"].lstrip("@").partition("@")
    if domain.lower() == own_domain:
        domain = ""
    account = await find_account_by_acct(session, username, domain or None)
    if account is None:
        raise NotFound("Record not found")
    return account


async def relationship_to(
    session: AsyncSession, viewer: Viewer | None, account: Account
) -> Relationship | None:
    if viewer is None or viewer.account.id == account.id:
        return None
    return (await relationships.get_relationships(session, viewer.account.id, [account.id]))[0]


async def profile(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    runtime = runtime_of(request)
    tab = request.path_params.get("tab", "")
    if tab not in TABS:
        raise NotFound("Record not found")
    page = page_request(request)
    async with runtime.db.reader() as session:
        account = await find_profile(session, request, runtime.settings.domain)
        relationship = await relationship_to(session, viewer, account)
        posts = await profile_timeline(
            session,
            viewer_id,
            account.id,
            page,
            with_replies=tab == "with_comments",
            only_media=tab == "media",
        )
        pinned = []
        if tab == "" and page.max_id is None:
            pinned = await list_pinned(session, viewer_id=viewer_id, account_id=account.id)
        views = await hydrate(session, viewer_id, [*pinned, *posts])
        moved_to = await find_moved_to(session, account)
    context = {
        "account": account,
        "moved_to": moved_to,
        "relationship": relationship,
        "tab": tab,
        "tabs": TABS,
        "pinned": views[: len(pinned)],
        "title": f"{account.display_name or account.username} (@{account.acct()})",
    }
    return await render_stream(
        request,
        views[len(pinned) :],
        [p.id for p in posts],
        context,
        template="accounts/profile.html",
        filter_context="account",
    )


async def _people(request: Request, which: str) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    runtime = runtime_of(request)
    page = page_request(request)
    lister = relationships.list_followers if which == "followers" else relationships.list_following
    async with runtime.db.reader() as session:
        account = await find_profile(session, request, runtime.settings.domain)
        pairs = await lister(session, viewer_id, account.id, page)
    people = [person for _, person in pairs]
    context = {
        "account": account,
        "which": which,
        "people": people,
        "older": older_url(request, [cursor for cursor, _ in pairs]),
    }
    if is_htmx(request) and page.max_id is not None:
        return await render(request, "accounts/_people.html", context)
    return await render(request, "accounts/people.html", context)


async def followers(request: Request) -> Response:
    return await _people(request, "followers")


async def following(request: Request) -> Response:
    return await _people(request, "following")


routes = [
    Route("/@{acct}", profile),
    Route("/@{acct}/followers", followers),
    Route("/@{acct}/following", following),
    Route("/@{acct}/{tab:str}", profile),
]
