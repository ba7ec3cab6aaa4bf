"""Timelines: home, public, hashtag, list, an account's statuses, bookmarks, favourites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.queries import get_visible_account
from parley.domain.interactions.queries import list_pinned
from parley.domain.pagination import PageRequest
from parley.domain.posts.models import Post
from parley.domain.timelines import queries as timelines
from parley.mastodon.auth import Member, optional_member, require_member, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import page_response
from parley.mastodon.views import page_of, path_id, render_statuses

# Reads a page: (post, cursor) pairs; the cursor is what max_id/min_id refer to.
Read = Callable[
    [AsyncSession, Request, Params, Member | None, PageRequest], Awaitable[list[tuple[int, Post]]]
]


def _timeline(
    read: Read, *, scope: str, public: bool, context: str | None = None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        member = (
            await optional_member(request, scope)
            if public
            else await require_member(request, scope)
        )
        params = await Params.read(request)
        page = page_of(params)
        runtime = runtime_of(request)
        base = runtime.settings.base_url
        async with runtime.db.reader() as session:
            rows = await read(session, request, params, member, page)
            rendered = await render_statuses(
                session,
                base,
                member.id if member else None,
                [p for _c, p in rows],
                filter_context=context,
            )
        return page_response(
            request, base, rendered, cursors=[c for c, _p in rows], limit=page.limit
        )

    return endpoint


def _by_id(posts: list[Post]) -> list[tuple[int, Post]]:
    return [(p.id, p) for p in posts]


async def _home(
    s: AsyncSession, _r: Request, _p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    assert m is not None
    return _by_id(await timelines.home_timeline(s, m.id, page))


async def _public(
    s: AsyncSession, _r: Request, p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    return _by_id(
        await timelines.public_timeline(
            s,
            m.id if m else None,
            page,
            local=bool(p.boolean("local", False)),
            remote=bool(p.boolean("remote", False)),
            only_media=bool(p.boolean("only_media", False)),
        )
    )


async def _tag(
    s: AsyncSession, r: Request, p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    return _by_id(
        await timelines.tag_timeline(
            s,
            m.id if m else None,
            str(r.path_params["hashtag"]),
            page,
            local=bool(p.boolean("local", False)),
            only_media=bool(p.boolean("only_media", False)),
            any_of=p.strings("any"),
            all_of=p.strings("all"),
            none_of=p.strings("none"),
        )
    )


async def _list(
    s: AsyncSession, r: Request, _p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    assert m is not None
    return _by_id(await timelines.list_timeline(s, m.id, path_id(r), page))


async def _account(
    s: AsyncSession, r: Request, p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    viewer = m.id if m else None
    account = await get_visible_account(s, path_id(r))
    if p.boolean("pinned", False):
        # Pins are one short list, not paged: only the first page has them.
        if page.max_id is not None or page.min_id is not None or page.since_id is not None:
            return []
        return _by_id(await list_pinned(s, viewer_id=viewer, account_id=account.id))
    return _by_id(
        await timelines.profile_timeline(
            s,
            viewer,
            account.id,
            page,
            with_replies=not p.boolean("exclude_replies", False),
            only_media=bool(p.boolean("only_media", False)),
            exclude_echoes=bool(p.boolean("exclude_reblogs", False)),
            tagged=p.string("tagged") or None,
        )
    )


async def _bookmarks(
    s: AsyncSession, _r: Request, _p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    assert m is not None
    return await timelines.bookmarks_timeline(s, m.id, page)


async def _favourites(
    s: AsyncSession, _r: Request, _p: Params, m: Member | None, page: PageRequest
) -> list[tuple[int, Post]]:
    assert m is not None
    return await timelines.upvoted_timeline(s, m.id, page)


routes = [
    Route(
        "/api/v1/timelines/home",
        _timeline(_home, scope="read:statuses", public=False, context="home"),
        methods=["GET"],
    ),
    Route(
        "/api/v1/timelines/public",
        _timeline(_public, scope="read:statuses", public=True, context="public"),
        methods=["GET"],
    ),
    Route(
        "/api/v1/timelines/tag/{hashtag}",
        _timeline(_tag, scope="read:statuses", public=True, context="public"),
        methods=["GET"],
    ),
    Route(
        "/api/v1/timelines/list/{id}",
        _timeline(_list, scope="read:lists", public=False, context="home"),
        methods=["GET"],
    ),
    Route(
        "/api/v1/accounts/{id}/statuses",
        _timeline(_account, scope="read:statuses", public=True, context="account"),
        methods=["GET"],
    ),
    Route(
        "/api/v1/bookmarks",
        _timeline(_bookmarks, scope="read:bookmarks", public=False),
        methods=["GET"],
    ),
    Route(
        "/api/v1/favourites",
        _timeline(_favourites, scope="read:favourites", public=False),
        methods=["GET"],
    ),
]
