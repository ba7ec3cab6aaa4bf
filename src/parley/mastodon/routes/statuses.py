"""Statuses: post (with Idempotency-Key), read, edit, delete, history, source, context, polls."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.db.ids import is_id_text
from parley.domain.errors import Invalid, NotFound
from parley.domain.media import service as media_service
from parley.domain.oauth import idempotency
from parley.domain.posts import polls
from parley.domain.posts import queries as posts_queries
from parley.domain.posts import service as posts
from parley.domain.posts.models import Poll, Post
from parley.domain.posts.polls import PollSpec
from parley.domain.posts.views import hydrate
from parley.mastodon import entities
from parley.mastodon.auth import optional_member, require_member, runtime_of
from parley.mastodon.errors import ApiError
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response
from parley.mastodon.routes.scheduled import schedule_from_params
from parley.mastodon.views import (
    acting_account,
    acting_user,
    path_id,
    render_status,
    render_statuses,
)


def _poll(params: Params) -> PollSpec | None:
    spec = params.sub("poll")
    if spec is None:
        return None
    options = spec.strings("options")
    expires_in = spec.integer("expires_in")
    if expires_in is None:
        raise Invalid("poll", "Poll expires_in can't be blank")
    return PollSpec(
        options=options,
        expires_in=expires_in,
        multiple=bool(spec.boolean("multiple", False)),
        hide_totals=bool(spec.boolean("hide_totals", False)),
    )


def _media_ids(params: Params) -> list[int]:
    ids = params.strings("media_ids")
    if any(not is_id_text(i) or len(i) > 19 for i in ids):
        raise Invalid("media_ids", "media_ids must be a list of media IDs")
    return [int(i) for i in ids]


async def create_status(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    if params.string("scheduled_at"):
        return await schedule_from_params(request, member, params, _poll(params))
    key = request.headers.get("idempotency-key", "")
    reply_to = params.string("in_reply_to_id")
    quoted = params.string("quoted_status_id") or params.string("quote_id")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        author = await acting_account(session, member)
        user = await acting_user(session, member)
        earlier = await idempotency.find_post_for_key(session, account_id=author.id, key=key)
        if earlier is not None and (post := await session.get(Post, earlier)) is not None:
            pass
        else:
            post = await posts.create_post(
                session,
                runtime.ctx,
                author=author,
                text=params.string("status") or "",
                spoiler_text=params.string("spoiler_text") or "",
                visibility=params.string("visibility") or None,
                sensitive=bool(params.boolean("sensitive", user.default_sensitive)),
                language=params.string("language") or None,
                in_reply_to_id=parse_id(reply_to) if reply_to else None,
                quote_of_id=parse_id(quoted) if quoted else None,
                poll=_poll(params),
                application=member.grant.application.name,
                media_ids=_media_ids(params),
            )
            await idempotency.remember_key(session, account_id=author.id, key=key, post_id=post.id)
        entity = await render_status(session, runtime.settings.base_url, member.id, post)
    return json_response(entity)


async def get_status(request: Request) -> Response:
    member = await optional_member(request, "read:statuses")
    viewer = member.id if member else None
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        post = await posts_queries.get_visible_post(
            session, viewer_id=viewer, post_id=path_id(request)
        )
        entity = await render_status(session, runtime.settings.base_url, viewer, post)
    return json_response(entity)


async def get_statuses(request: Request) -> Response:
    member = await optional_member(request, "read:statuses")
    viewer = member.id if member else None
    params = await Params.read(request)
    ids = params.ids("id", limit=40)
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        visible = []
        for post_id in ids:
            try:
                visible.append(
                    await posts_queries.get_visible_post(session, viewer_id=viewer, post_id=post_id)
                )
            except NotFound:
                continue  # Mastodon leaves out what the caller may not see
        rendered = await render_statuses(session, runtime.settings.base_url, viewer, visible)
    return json_response(rendered)


async def delete_status(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        actor = await acting_account(session, member)
        post = await posts_queries.get_own_post(
            session, account_id=actor.id, post_id=path_id(request)
        )
        # Rendered before the rows go, so the answer can carry the text for "redraft".
        (view,) = await hydrate(session, member.id, [post])
        entity = entities.deleted_status(runtime.settings.base_url, view)
        await posts.delete_post(session, actor=actor, post_id=post.id)
    return json_response(entity)


async def edit_status(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    if params.has("scheduled_at"):  # an edit cannot be scheduled: refused, not dropped
        raise Invalid("scheduled_at", "Only new statuses can be scheduled")
    poll = params.sub("poll")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        # Alt text and focus of attachments can change with the edit (Mastodon 4.1+).
        for item in params.array("media_attributes"):
            attributes = Params(item) if isinstance(item, dict) else None
            if attributes is None:
                raise Invalid("media_attributes", "media_attributes must be a list of objects")
            await media_service.update_media(
                session,
                account_id=member.id,
                media_id=parse_id(attributes.string("id")),
                description=attributes.string("description"),
                focus=attributes.string("focus"),
            )
        post = await posts.edit_post(
            session,
            runtime.ctx,
            editor=await acting_account(session, member),
            post_id=path_id(request),
            text=params.string("status") or "",
            spoiler_text=params.string("spoiler_text") or "",
            sensitive=bool(params.boolean("sensitive", False)),
            language=params.string("language") or None,
            poll_options=poll.strings("options") if poll is not None else None,
            media_ids=_media_ids(params) if params.has("media_ids") else None,
        )
        entity = await render_status(session, runtime.settings.base_url, member.id, post)
    return json_response(entity)


async def history(request: Request) -> Response:
    member = await optional_member(request, "read:statuses")
    viewer = member.id if member else None
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        post_id = path_id(request)
        edits = await posts_queries.list_edits(session, viewer_id=viewer, post_id=post_id)
        post = await posts_queries.get_visible_post(session, viewer_id=viewer, post_id=post_id)
        (view,) = await hydrate(session, viewer, [post])
    base = runtime.settings.base_url
    author, moved_to = view.account, view.account_moved_to
    return json_response([entities.status_edit(base, e, author, moved_to=moved_to) for e in edits])


async def source(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    async with runtime_of(request).db.reader() as session:
        post = await posts_queries.get_own_post(
            session, account_id=member.id, post_id=path_id(request)
        )
    return json_response(entities.status_source(post))


async def context(request: Request) -> Response:
    member = await optional_member(request, "read:statuses")
    viewer = member.id if member else None
    runtime = runtime_of(request)
    base = runtime.settings.base_url
    async with runtime.db.reader() as session:
        thread = await posts_queries.get_thread(session, viewer_id=viewer, post_id=path_id(request))
        ancestors = await render_statuses(
            session, base, viewer, thread.ancestors, filter_context="thread"
        )
        descendants = await render_statuses(
            session, base, viewer, thread.descendants, filter_context="thread"
        )
    return json_response({"ancestors": ancestors, "descendants": descendants})


async def _poll_entity(request: Request, poll_id: int, viewer: int | None) -> entities.Entity:
    async with runtime_of(request).db.reader() as session:
        found = await session.get(Poll, poll_id)
        if found is None:
            raise ApiError(404, "Record not found")
        post = await posts_queries.get_visible_post(
            session, viewer_id=viewer, post_id=found.post_id
        )
        (view,) = await hydrate(session, viewer, [post])
    assert view.poll is not None
    return entities.poll(view.poll, signed_in=viewer is not None)


async def get_poll(request: Request) -> Response:
    member = await optional_member(request, "read:statuses")
    viewer = member.id if member else None
    return json_response(await _poll_entity(request, path_id(request), viewer))


async def vote(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    params = await Params.read(request)
    choices = []
    for raw in params.strings("choices"):
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 3:
            raise Invalid("choices", "Choices must be option numbers")
        choices.append(int(raw))
    poll_id = path_id(request)
    async with runtime_of(request).db.transaction() as session:
        await polls.vote(
            session, voter=await acting_account(session, member), poll_id=poll_id, choices=choices
        )
    return json_response(await _poll_entity(request, poll_id, member.id))


routes = [
    Route("/api/v1/statuses", create_status, methods=["POST"]),
    Route("/api/v1/statuses", get_statuses, methods=["GET"]),
    Route("/api/v1/statuses/{id}", get_status, methods=["GET"]),
    Route("/api/v1/statuses/{id}", delete_status, methods=["DELETE"]),
    Route("/api/v1/statuses/{id}", edit_status, methods=["PUT"]),
    Route("/api/v1/statuses/{id}/history", history, methods=["GET"]),
    Route("/api/v1/statuses/{id}/source", source, methods=["GET"]),
    Route("/api/v1/statuses/{id}/context", context, methods=["GET"]),
    Route("/api/v1/polls/{id}", get_poll, methods=["GET"]),
    Route("/api/v1/polls/{id}/votes", vote, methods=["POST"]),
]
