"""Lists: CRUD, their members, and which of one's lists hold an account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import Invalid
from parley.domain.timelines import lists
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of, path_id, render_accounts


async def all_lists(request: Request) -> Response:
    member = await require_member(request, "read:lists")
    async with runtime_of(request).db.reader() as session:
        found = await lists.list_lists(session, member.id)
    return json_response([entities.list_entity(x) for x in found])


async def get_list(request: Request) -> Response:
    member = await require_member(request, "read:lists")
    async with runtime_of(request).db.reader() as session:
        found = await lists.get_list(session, member.id, path_id(request))
    return json_response(entities.list_entity(found))


async def create_list(request: Request) -> Response:
    member = await require_member(request, "write:lists")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        created = await lists.create_list(
            session,
            owner=await acting_account(session, member),
            title=params.string("title") or "",
            replies_policy=params.string("replies_policy") or "list",
            exclusive=bool(params.boolean("exclusive", False)),
        )
    return json_response(entities.list_entity(created))


async def update_list(request: Request) -> Response:
    member = await require_member(request, "write:lists")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        updated = await lists.update_list(
            session,
            owner=await acting_account(session, member),
            list_id=path_id(request),
            title=params.string("title"),
            replies_policy=params.string("replies_policy"),
            exclusive=params.boolean("exclusive"),
        )
    return json_response(entities.list_entity(updated))


async def delete_list(request: Request) -> Response:
    member = await require_member(request, "write:lists")
    async with runtime_of(request).db.transaction() as session:
        await lists.delete_list(
            session, owner=await acting_account(session, member), list_id=path_id(request)
        )
    return json_response({})


async def members(request: Request) -> Response:
    member = await require_member(request, "read:lists")
    params = await Params.read(request)
    page = page_of(params, max_limit=80, default_limit=40)
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    async with runtime.db.reader() as session:
        rows = await lists.list_members(session, member.id, path_id(request), page)
        body = await render_accounts(session, base, [a for _c, a in rows])
    return page_response(
        request,
        base,
        body,
        cursors=[c for c, _a in rows],
        limit=page.limit,
    )


def _account_ids(params: Params) -> list[int]:
    ids = params.strings("account_ids")
    if not ids:
        raise Invalid("account_ids", "account_ids can't be blank")
    return [parse_id(i) for i in ids]


async def add_members(request: Request) -> Response:
    member = await require_member(request, "write:lists")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        await lists.add_list_members(
            session,
            owner=await acting_account(session, member),
            list_id=path_id(request),
            account_ids=_account_ids(params),
        )
    return json_response({})


async def remove_members(request: Request) -> Response:
    member = await require_member(request, "write:lists")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        await lists.remove_list_members(
            session,
            owner=await acting_account(session, member),
            list_id=path_id(request),
            account_ids=_account_ids(params),
        )
    return json_response({})


async def lists_with_account(request: Request) -> Response:
    member = await require_member(request, "read:lists")
    async with runtime_of(request).db.reader() as session:
        found = await lists.lists_containing(session, member.id, path_id(request))
    return json_response([entities.list_entity(x) for x in found])


routes = [
    Route("/api/v1/lists", all_lists, methods=["GET"]),
    Route("/api/v1/lists", create_list, methods=["POST"]),
    Route("/api/v1/lists/{id}", get_list, methods=["GET"]),
    Route("/api/v1/lists/{id}", update_list, methods=["PUT"]),
    Route("/api/v1/lists/{id}", delete_list, methods=["DELETE"]),
    Route("/api/v1/lists/{id}/accounts", members, methods=["GET"]),
    Route("/api/v1/lists/{id}/accounts", add_members, methods=["POST"]),
    Route("/api/v1/lists/{id}/accounts", remove_members, methods=["DELETE"]),
    Route("/api/v1/accounts/{id}/lists", lists_with_account, methods=["GET"]),
]
