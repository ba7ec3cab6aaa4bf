"""Follows, follow requests, blocks and mutes, and the lists of each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import (
    get_account,
    get_visible_account,
    visible_account_ids,
)
from parley.domain.errors import Invalid
from parley.domain.pagination import PageRequest
from parley.domain.relationships import queries
from parley.domain.relationships import service as relationships
from parley.mastodon import entities
from parley.mastodon.auth import Member, optional_member, require_member, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of, path_id, render_accounts

Command = Callable[[AsyncSession, Account, Account, Params], Awaitable[object]]


async def _relationship(request: Request, member: Member, target_id: int) -> Response:
    async with runtime_of(request).db.reader() as session:
        (rel,) = await queries.get_relationships(session, member.id, [target_id])
    return json_response(entities.relationship(rel))


def _command(scope: str, run: Command) -> Callable[[Request], Awaitable[Response]]:
    """A POST on /accounts/:id/<verb>: run the command, answer with the new Relationship."""

    async def endpoint(request: Request) -> Response:
        member = await require_member(request, scope)
        params = await Params.read(request)
        target_id = path_id(request)
        async with runtime_of(request).db.transaction() as session:
            actor = await acting_account(session, member)
            target = await get_visible_account(session, target_id)
            await run(session, actor, target, params)
        return await _relationship(request, member, target_id)

    return endpoint


async def _follow(session: AsyncSession, actor: Account, target: Account, params: Params) -> None:
    if actor.id == target.id:
        raise Invalid(None, "You cannot follow yourself")
    await relationships.follow_account(
        session,
        follower=actor,
        target=target,
        show_echoes=bool(params.boolean("reblogs", True)),
        notify=bool(params.boolean("notify", False)),
    )


async def _unfollow(session: AsyncSession, actor: Account, target: Account, _p: Params) -> None:
    await relationships.unfollow_account(session, follower=actor, target=target)


async def _block(session: AsyncSession, actor: Account, target: Account, _p: Params) -> None:
    await relationships.block_account(session, actor=actor, target=target)


async def _unblock(session: AsyncSession, actor: Account, target: Account, _p: Params) -> None:
    await relationships.unblock_account(session, actor=actor, target=target)


async def _mute(session: AsyncSession, actor: Account, target: Account, params: Params) -> None:
    duration = params.integer("duration", 0) or 0
    if duration < 0:
        raise Invalid("duration", "duration must be zero or more seconds")
    await relationships.mute_account(
        session,
        actor=actor,
        target=target,
        hide_notifications=bool(params.boolean("notifications", True)),
        duration_seconds=duration or None,
    )


async def _unmute(session: AsyncSession, actor: Account, target: Account, _p: Params) -> None:
    await relationships.unmute_account(session, actor=actor, target=target)


async def _remove_follower(
    session: AsyncSession, actor: Account, target: Account, _p: Params
) -> None:
    await relationships.remove_follower(session, account=actor, follower_id=target.id)


async def get_relationships(request: Request) -> Response:
    member = await require_member(request, "read:follows")
    params = await Params.read(request)
    ids = params.ids("id", limit=40)
    async with runtime_of(request).db.reader() as session:
        # As Mastodon: unknown, suspended or pending accounts are left out, not invented.
        known = await visible_account_ids(session, ids)
        found = await queries.get_relationships(session, member.id, [i for i in ids if i in known])
    return json_response([entities.relationship(r) for r in found])


async def familiar_followers(request: Request) -> Response:
    member = await require_member(request, "read:follows")
    params = await Params.read(request)
    ids = params.ids("id", limit=40)
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        known = await queries.familiar_followers(session, member.id, ids)
        # Each follower rendered once for the whole answer (one `moved` query, not one a target).
        everyone = {a.id: a for found in known.values() for a in found}
        entities_of = await render_accounts(
            session, runtime.settings.base_url, list(everyone.values())
        )
    rendered = dict(zip(everyone, entities_of, strict=True))
    body = [
        {"id": str(target_id), "accounts": [rendered[a.id] for a in known.get(target_id, [])]}
        for target_id in ids
    ]
    return json_response(body)


AccountPage = Callable[
    [AsyncSession, Request, Member | None, PageRequest], Awaitable[list[tuple[int, Account]]]
]


def _account_list(
    scope: str, read: AccountPage, *, public: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """A paged list of accounts; cursors are the relationship rows' IDs."""

    async def endpoint(request: Request) -> Response:
        member = (
            await optional_member(request, scope)
            if public
            else await require_member(request, scope)
        )
        params = await Params.read(request)
        page = page_of(params, max_limit=80, default_limit=40)
        runtime = runtime_of(request)
        async with runtime.db.reader() as session:
            rows = await read(session, request, member, page)
            base = runtime.settings.base_url
            body = await render_accounts(session, base, [account for _cursor, account in rows])
        return page_response(
            request,
            base,
            body,
            cursors=[cursor for cursor, _account in rows],
            limit=page.limit,
        )

    return endpoint


async def _followers(
    session: AsyncSession, request: Request, member: Member | None, page: PageRequest
) -> list[tuple[int, Account]]:
    account = await get_account(session, path_id(request))
    return await queries.list_followers(session, member.id if member else None, account.id, page)


async def _following(
    session: AsyncSession, request: Request, member: Member | None, page: PageRequest
) -> list[tuple[int, Account]]:
    account = await get_account(session, path_id(request))
    return await queries.list_following(session, member.id if member else None, account.id, page)


async def _requests(
    session: AsyncSession, _r: Request, member: Member | None, page: PageRequest
) -> list[tuple[int, Account]]:
    assert member is not None
    return await queries.list_follow_requests(session, member.id, page)


async def _blocks(
    session: AsyncSession, _r: Request, member: Member | None, page: PageRequest
) -> list[tuple[int, Account]]:
    assert member is not None
    return await queries.list_blocks(session, member.id, page)


async def _mutes(
    session: AsyncSession, _r: Request, member: Member | None, page: PageRequest
) -> list[tuple[int, Account]]:
    assert member is not None
    return await queries.list_mutes(session, member.id, page)


def _decide_request(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        member = await require_member(request, "write:follows")
        follower_id = path_id(request)
        async with runtime_of(request).db.transaction() as session:
            me = await acting_account(session, member)
            if accept:
                await relationships.accept_follow_request(
                    session, target=me, follower_id=follower_id
                )
            else:
                await relationships.reject_follow_request(
                    session, target=me, follower_id=follower_id
                )
        return await _relationship(request, member, follower_id)

    return endpoint


routes = [
    Route("/api/v1/accounts/relationships", get_relationships, methods=["GET"]),
    Route("/api/v1/accounts/familiar_followers", familiar_followers, methods=["GET"]),
    Route("/api/v1/accounts/{id}/follow", _command("write:follows", _follow), methods=["POST"]),
    Route("/api/v1/accounts/{id}/unfollow", _command("write:follows", _unfollow), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id}/remove_from_followers",
        _command("write:follows", _remove_follower),
        methods=["POST"],
    ),
    Route("/api/v1/accounts/{id}/block", _command("write:blocks", _block), methods=["POST"]),
    Route("/api/v1/accounts/{id}/unblock", _command("write:blocks", _unblock), methods=["POST"]),
    Route("/api/v1/accounts/{id}/mute", _command("write:mutes", _mute), methods=["POST"]),
    Route("/api/v1/accounts/{id}/unmute", _command("write:mutes", _unmute), methods=["POST"]),
    Route(
        "/api/v1/accounts/{id}/followers",
        _account_list("read:accounts", _followers, public=True),
        methods=["GET"],
    ),
    Route(
        "/api/v1/accounts/{id}/following",
        _account_list("read:accounts", _following, public=True),
        methods=["GET"],
    ),
    Route("/api/v1/follow_requests", _account_list("read:follows", _requests), methods=["GET"]),
    Route("/api/v1/follow_requests/{id}/authorize", _decide_request(True), methods=["POST"]),
    Route("/api/v1/follow_requests/{id}/reject", _decide_request(False), methods=["POST"]),
    Route("/api/v1/blocks", _account_list("read:blocks", _blocks), methods=["GET"]),
    Route("/api/v1/mutes", _account_list("read:mutes", _mutes), methods=["GET"]),
]
