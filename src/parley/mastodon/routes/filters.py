"""Filters v2 (/api/v2/filters with keywords and statuses) and the v1 shim (/api/v1/filters).

A v1 filter is one keyword of a v2 filter, as Mastodon presents it since 4.0.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import Invalid
from parley.domain.filters import queries, service
from parley.domain.filters.models import Filter, FilterAction, FilterKeyword
from parley.domain.filters.service import KeywordChange
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.entities import Entity
from parley.mastodon.filtering import filter_entity, filter_keyword, filter_status, v1_filter
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response
from parley.mastodon.views import acting_account, path_id

READ, WRITE = "read:filters", "write:filters"


async def _entity(session: AsyncSession, f: Filter) -> Entity:
    keywords = await queries.keywords_of(session, [f.id])
    statuses = await queries.statuses_of(session, [f.id])
    return filter_entity(f, keywords[f.id], statuses[f.id])


def _records(items: list[Any]) -> list[dict[str, Any]]:
    """`keywords_attributes[][keyword]=a&keywords_attributes[][whole_word]=1` arrives as one
    dict per key; Rails starts a new record only when a key repeats, so merge the same way."""
    merged: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise Invalid("keywords_attributes", "keywords_attributes must be a list of objects")
        if merged and not (item.keys() & merged[-1].keys()) and len(item) == 1:
            merged[-1].update(item)
        else:
            merged.append(dict(item))
    return merged


def _keyword_changes(params: Params) -> list[KeywordChange]:
    changes = []
    for record in _records(params.array("keywords_attributes")):
        p = Params(record)
        raw_id = p.string("id")
        changes.append(
            KeywordChange(
                keyword=p.string("keyword"),
                whole_word=p.boolean("whole_word"),
                id=parse_id(raw_id) if raw_id else None,
                destroy=bool(p.boolean("_destroy", False)),
            )
        )
    return changes


def _expires_in(params: Params) -> int | None:
    return params.integer("expires_in")


async def list_filters(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        found = await queries.list_filters(session, member.id)
        ids = [f.id for f in found]
        keywords = await queries.keywords_of(session, ids)
        statuses = await queries.statuses_of(session, ids)
    return json_response([filter_entity(f, keywords[f.id], statuses[f.id]) for f in found])


async def show_filter(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        found = await queries.get_filter(session, member.id, path_id(request))
        return json_response(await _entity(session, found))


async def create_filter(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        created = await service.create_filter(
            session,
            account=await acting_account(session, member),
            title=params.string("title") or "",
            context=params.strings("context"),
            action=params.string("filter_action") or FilterAction.WARN,
            expires_in=_expires_in(params),
            keywords=_keyword_changes(params),
        )
        return json_response(await _entity(session, created))


async def update_filter(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        updated = await service.update_filter(
            session,
            account=await acting_account(session, member),
            filter_id=path_id(request),
            title=params.string("title"),
            context=params.strings("context") if params.has("context") else None,
            action=params.string("filter_action"),
            expires_in=_expires_in(params),
            change_expiry="expires_in" in params.data,
            keywords=_keyword_changes(params),
        )
        return json_response(await _entity(session, updated))


async def delete_filter(request: Request) -> Response:
    member = await require_member(request, WRITE)
    async with runtime_of(request).db.transaction() as session:
        await service.delete_filter(
            session, account=await acting_account(session, member), filter_id=path_id(request)
        )
    return json_response({})


async def list_keywords(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        found = await queries.get_filter(session, member.id, path_id(request, "filter_id"))
        keywords = await queries.keywords_of(session, [found.id])
    return json_response([filter_keyword(k) for k in keywords[found.id]])


async def add_keyword(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        found = await queries.get_filter(session, member.id, path_id(request, "filter_id"))
        row = await service.add_keyword(
            session,
            filter_=found,
            keyword=params.string("keyword") or "",
            whole_word=bool(params.boolean("whole_word", True)),
        )
    return json_response(filter_keyword(row))


async def show_keyword(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        row = await queries.get_keyword(session, member.id, path_id(request))
    return json_response(filter_keyword(row))


async def update_keyword(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        row = await service.update_keyword(
            session,
            account=await acting_account(session, member),
            keyword_id=path_id(request),
            keyword=params.string("keyword"),
            whole_word=params.boolean("whole_word"),
        )
    return json_response(filter_keyword(row))


async def delete_keyword(request: Request) -> Response:
    member = await require_member(request, WRITE)
    async with runtime_of(request).db.transaction() as session:
        await service.delete_keyword(
            session, account=await acting_account(session, member), keyword_id=path_id(request)
        )
    return json_response({})


async def list_statuses(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        found = await queries.get_filter(session, member.id, path_id(request, "filter_id"))
        statuses = await queries.statuses_of(session, [found.id])
    return json_response([filter_status(s) for s in statuses[found.id]])


async def add_status(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        row = await service.add_filter_status(
            session,
            account=await acting_account(session, member),
            filter_id=path_id(request, "filter_id"),
            post_id=parse_id(params.string("status_id")),
        )
    return json_response(filter_status(row))


async def show_status(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        row = await queries.get_filter_status(session, member.id, path_id(request))
    return json_response(filter_status(row))


async def delete_status(request: Request) -> Response:
    member = await require_member(request, WRITE)
    async with runtime_of(request).db.transaction() as session:
        row = await service.delete_filter_status(
            session,
            account=await acting_account(session, member),
            filter_status_id=path_id(request),
        )
    return json_response(filter_status(row))


# v1: each keyword is one filter.


async def _v1(
    session: AsyncSession, member_id: int, keyword_id: int
) -> tuple[Filter, FilterKeyword]:
    row = await queries.get_keyword(session, member_id, keyword_id)
    return await queries.get_filter(session, member_id, row.filter_id), row


async def v1_list(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        found = await queries.list_filters(session, member.id)
        keywords = await queries.keywords_of(session, [f.id for f in found])
    return json_response([v1_filter(f, k) for f in found for k in keywords[f.id]])


async def v1_show(request: Request) -> Response:
    member = await require_member(request, READ)
    async with runtime_of(request).db.reader() as session:
        f, k = await _v1(session, member.id, path_id(request))
    return json_response(v1_filter(f, k))


def _v1_action(params: Params) -> str | None:
    irreversible = params.boolean("irreversible")
    if irreversible is None:
        return None
    return FilterAction.HIDE if irreversible else FilterAction.WARN


async def v1_create(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    phrase = params.string("phrase") or ""
    async with runtime_of(request).db.transaction() as session:
        created = await service.create_filter(
            session,
            account=await acting_account(session, member),
            title=phrase,
            context=params.strings("context"),
            action=_v1_action(params) or FilterAction.WARN,
            expires_in=_expires_in(params),
            keywords=[
                KeywordChange(keyword=phrase, whole_word=bool(params.boolean("whole_word", True)))
            ],
        )
        keywords = await queries.keywords_of(session, [created.id])
    return json_response(v1_filter(created, keywords[created.id][0]))


async def v1_update(request: Request) -> Response:
    member = await require_member(request, WRITE)
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        account = await acting_account(session, member)
        f, k = await _v1(session, member.id, path_id(request))
        phrase = params.string("phrase")
        f = await service.update_filter(
            session,
            account=account,
            filter_id=f.id,
            context=params.strings("context") if params.has("context") else None,
            action=_v1_action(params),
            expires_in=_expires_in(params),
            change_expiry="expires_in" in params.data,
            keywords=[
                KeywordChange(id=k.id, keyword=phrase, whole_word=params.boolean("whole_word"))
            ],
        )
    return json_response(v1_filter(f, k))


async def v1_delete(request: Request) -> Response:
    """Remove the keyword; a filter left without keywords or posts goes with it."""
    member = await require_member(request, WRITE)
    async with runtime_of(request).db.transaction() as session:
        account = await acting_account(session, member)
        f, k = await _v1(session, member.id, path_id(request))
        await service.delete_keyword(session, account=account, keyword_id=k.id)
        await session.flush()
        if (
            not (await queries.keywords_of(session, [f.id]))[f.id]
            and not (await queries.statuses_of(session, [f.id]))[f.id]
        ):
            await service.delete_filter(session, account=account, filter_id=f.id)
    return json_response({})


routes = [
    Route("/api/v2/filters", list_filters, methods=["GET"]),
    Route("/api/v2/filters", create_filter, methods=["POST"]),
    Route("/api/v2/filters/keywords/{id}", show_keyword, methods=["GET"]),
    Route("/api/v2/filters/keywords/{id}", update_keyword, methods=["PUT"]),
    Route("/api/v2/filters/keywords/{id}", delete_keyword, methods=["DELETE"]),
    Route("/api/v2/filters/statuses/{id}", show_status, methods=["GET"]),
    Route("/api/v2/filters/statuses/{id}", delete_status, methods=["DELETE"]),
    Route("/api/v2/filters/{filter_id}/keywords", list_keywords, methods=["GET"]),
    Route("/api/v2/filters/{filter_id}/keywords", add_keyword, methods=["POST"]),
    Route("/api/v2/filters/{filter_id}/statuses", list_statuses, methods=["GET"]),
    Route("/api/v2/filters/{filter_id}/statuses", add_status, methods=["POST"]),
    Route("/api/v2/filters/{id}", show_filter, methods=["GET"]),
    Route("/api/v2/filters/{id}", update_filter, methods=["PUT"]),
    Route("/api/v2/filters/{id}", delete_filter, methods=["DELETE"]),
    Route("/api/v1/filters", v1_list, methods=["GET"]),
    Route("/api/v1/filters", v1_create, methods=["POST"]),
    Route("/api/v1/filters/{id}", v1_show, methods=["GET"]),
    Route("/api/v1/filters/{id}", v1_update, methods=["PUT"]),
    Route("/api/v1/filters/{id}", v1_delete, methods=["DELETE"]),
]
