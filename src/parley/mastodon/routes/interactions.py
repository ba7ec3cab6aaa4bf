"""Favourite (upvote), reblog (echo), bookmark and pin, and who favourited or reblogged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account
from parley.domain.interactions import queries as interaction_queries
from parley.domain.interactions import service as interactions
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.mastodon.auth import optional_member, require_member, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of, path_id, render_accounts, render_status

Action = Callable[[AsyncSession, Request, Account, int], Awaitable[Post]]


def _action(scope: str, act: Action) -> Callable[[Request], Awaitable[Response]]:
    """POST /statuses/:id/<verb>: do it, answer with the status as the caller now sees it."""

    async def endpoint(request: Request) -> Response:
        member = await require_member(request, scope)
        runtime = runtime_of(request)
        async with runtime.db.transaction() as session:
            actor = await acting_account(session, member)
            post = await act(session, request, actor, path_id(request))
            entity = await render_status(session, runtime.settings.base_url, member.id, post)
        return json_response(entity)

    return endpoint


async def _favourite(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await interactions.upvote_post(s, actor=actor, post_id=post_id)


async def _unfavourite(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await interactions.remove_upvote(s, actor=actor, post_id=post_id)


async def _bookmark(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await interactions.bookmark_post(s, actor=actor, post_id=post_id)


async def _unbookmark(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await interactions.remove_bookmark(s, actor=actor, post_id=post_id)


async def _pin(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await interactions.pin_post(s, actor=actor, post_id=post_id)


async def _unpin(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await interactions.unpin_post(s, actor=actor, post_id=post_id)


async def _reblog(s: AsyncSession, request: Request, actor: Account, post_id: int) -> Post:
    params = await Params.read(request)
    return await posts.echo_post(
        s,
        runtime_of(request).ctx,
        actor=actor,
        post_id=post_id,
        visibility=params.string("visibility") or "public",
    )


async def _unreblog(s: AsyncSession, _r: Request, actor: Account, post_id: int) -> Post:
    return await posts.unecho_post(s, actor=actor, post_id=post_id)


def _who(upvoters: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        member = await optional_member(request, "read:accounts")
        params = await Params.read(request)
        page = page_of(params, max_limit=80, default_limit=40)
        runtime = runtime_of(request)
        read = interaction_queries.list_upvoters if upvoters else interaction_queries.list_echoers
        async with runtime.db.reader() as session:
            rows = await read(
                session,
                viewer_id=member.id if member else None,
                post_id=path_id(request),
                page=page,
            )
            base = runtime.settings.base_url
            body = await render_accounts(session, base, [a for _c, a in rows])
        return page_response(
            request,
            base,
            body,
            cursors=[c for c, _a in rows],
            limit=page.limit,
        )

    return endpoint


def _post(verb: str, scope: str, act: Action) -> Route:
    return Route(f"/api/v1/statuses/{{id}}/{verb}", _action(scope, act), methods=["POST"])


routes = [
    _post("favourite", "write:favourites", _favourite),
    _post("unfavourite", "write:favourites", _unfavourite),
    _post("reblog", "write:statuses", _reblog),
    _post("unreblog", "write:statuses", _unreblog),
    _post("bookmark", "write:bookmarks", _bookmark),
    _post("unbookmark", "write:bookmarks", _unbookmark),
    _post("pin", "write:accounts", _pin),
    _post("unpin", "write:accounts", _unpin),
    Route("/api/v1/statuses/{id}/favourited_by", _who(True), methods=["GET"]),
    Route("/api/v1/statuses/{id}/reblogged_by", _who(False), methods=["GET"]),
]
