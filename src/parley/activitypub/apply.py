"""Applying a stored inbox activity: one function per activity type, each calling a service.

Outcomes: applied; rejected or refused by the domain (recorded on the row, never retried);
or a transient failure (a remote server down), raised so the job queue retries it.
Unknown types are recorded as ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.activitypub import activities
from parley.activitypub import forwarded as forwarded_activities
from parley.activitypub.delivery import publish
from parley.activitypub.federation import Federation
from parley.activitypub.fetch import Gone, fetch_document, note_moved_to, resolve_actor
from parley.activitypub.flags import on_flag
from parley.activitypub.from_ap import InvalidDocument, parse_actor, visibility_of
from parley.activitypub.moves import on_move
from parley.activitypub.notes import Rejected, store_note, update_note
from parley.activitypub.vocab import host_of, id_of, type_of
from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import DomainError
from parley.domain.events import Event, record
from parley.domain.federation import service as federation
from parley.domain.federation.models import InboxActivity
from parley.domain.federation.remote_posts import find_post_by_uri
from parley.domain.interactions import service as interactions
from parley.domain.interactions.models import Upvote
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post, Visibility
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow, FollowRequest

log = logging.getLogger(__name__)

Apply = Callable[[Federation, httpx.AsyncClient, Account, dict[str, Any]], Awaitable[None]]
POST_TYPES = ("Note", "Question", "Article", "Page")
ECHOABLE = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)
ACTOR_TYPES = ("Person", "Service", "Application", "Group", "Organization")


async def _local_account(session: AsyncSession, uri: str | None) -> Account:
    account = None
    if uri:
        account = await session.scalar(
            select(Account).where(Account.uri == uri, Account.domain.is_(None))
        )
    if account is None:
        raise Rejected(f"{uri} is not a local account")
    return account


async def _actor(session: AsyncSession, actor: Account) -> Account:
    stored = await session.get(Account, actor.id)
    if stored is None:
        raise Rejected("actor vanished")
    return stored


async def on_follow(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    async with fed.db.transaction() as session:
        target = await _local_account(session, id_of(act.get("object")))
        follower = await _actor(session, actor)
        already = await session.scalar(
            select(Follow.id).where(Follow.account_id == follower.id, Follow.target_id == target.id)
        )
        try:
            await relationships.follow_account(
                session, follower=follower, target=target, uri=act["id"]
            )
        except DomainError:  # blocked, or following oneself: say no
            answer = "Reject"
        else:
            if already is None:
                return  # the service decided: a follow (Accept follows) or a request
            answer = "Accept"  # they lost track of an accepted follow: accept again
        activity = activities.answer_follow(
            answer, follow_uri=act["id"], follower=follower, target=target
        )
        await publish(session, activity, signer_id=target.id, account_ids=[follower.id])


async def _our_follow_request(
    session: AsyncSession, actor: Account, inner: Any
) -> FollowRequest | None:
    """The pending request of ours that an Accept/Reject from `actor` answers."""
    condition = [FollowRequest.target_id == actor.id]
    if isinstance(inner, dict) and type_of(inner) == "Follow":
        if id_of(inner.get("object")) not in (None, actor.uri):
            return None
        follower = await _local_account(session, id_of(inner.get("actor")))
        condition.append(FollowRequest.account_id == follower.id)
    elif isinstance(inner, str):
        condition.append(FollowRequest.uri == inner)
    else:
        return None
    return await session.scalar(select(FollowRequest).where(*condition))


async def on_accept(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    async with fed.db.transaction() as session:
        request = await _our_follow_request(session, actor, act.get("object"))
        if request is None:
            return  # an Accept of something we did not ask for
        target = await _actor(session, actor)
        await relationships.accept_follow_request(
            session, target=target, follower_id=request.account_id
        )


async def on_reject(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    async with fed.db.transaction() as session:
        inner = act.get("object")
        target = await _actor(session, actor)
        request = await _our_follow_request(session, actor, inner)
        if request is not None:
            await relationships.reject_follow_request(
                session, target=target, follower_id=request.account_id
            )
        elif isinstance(inner, dict) and type_of(inner) == "Follow":
            # Rejecting an accepted follow: Mastodon's "remove follower".
            follower = await _local_account(session, id_of(inner.get("actor")))
            await relationships.remove_follower(session, account=target, follower_id=follower.id)


async def on_create(
    fed: Federation, http: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    obj = act.get("object")
    if isinstance(obj, str):
        if host_of(obj) != host_of(actor.uri):
            raise Rejected("an actor may only create objects on its own host")
        obj = await fetch_document(fed, http, obj)
    if not isinstance(obj, dict) or type_of(obj) not in POST_TYPES:
        log.info("ignoring Create of %s", type_of(obj) or "a non-object")
        return
    await store_note(fed, http, obj, actor_uri=actor.uri)


async def on_update(
    fed: Federation, http: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    obj = act.get("object")
    if not isinstance(obj, dict):
        return
    if type_of(obj) in POST_TYPES:
        await update_note(fed, http, obj, actor_uri=actor.uri)
    elif type_of(obj) in ACTOR_TYPES:
        if obj.get("id") != actor.uri:
            raise Rejected("an actor may only update itself")
        remote = parse_actor(obj)
        async with fed.db.transaction() as session:
            account = await federation.upsert_remote_account(session, remote)
        await note_moved_to(fed, http, account, remote.moved_to_uri)


async def on_delete(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    uri = id_of(act.get("object"))
    if uri is None:
        return
    async with fed.db.transaction() as session:
        stored = await _actor(session, actor)
        if uri == actor.uri:
            # The account is gone: hide it and everything it wrote (as a suspension does).
            stored.suspended_at = stored.suspended_at or utcnow()
            # What shows it (kept pages) must hear of it.
            await record(session, Event.PROFILE_UPDATED, account_id=stored.id)
            return
        post = await find_post_by_uri(session, uri)
        if post is None:
            return
        if post.account_id != stored.id:
            raise Rejected("only the author may delete a post")
        await posts.delete_post(session, actor=stored, post_id=post.id)


async def _post_for_object(
    fed: Federation, http: httpx.AsyncClient, uri: str | None
) -> Post | None:
    """A post we have, or (for a remote one) fetch and store; None if it cannot be had."""
    if uri is None:
        return None
    async with fed.db.reader() as session:
        post = await find_post_by_uri(session, uri)
    if post is not None or host_of(uri) == fed.domain:
        return post
    return await store_note(fed, http, await fetch_document(fed, http, uri), actor_uri=None)


async def on_announce(
    fed: Federation, http: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    try:
        original = await _post_for_object(fed, http, id_of(act.get("object")))
    except InvalidDocument as exc:
        raise Rejected(str(exc)) from exc
    if original is None:
        return
    visibility = visibility_of(act, actor.followers_url)
    if visibility not in ECHOABLE:
        visibility = Visibility.FOLLOWERS
    async with fed.db.transaction() as session:
        await posts.echo_post(
            session,
            fed.ctx,
            actor=await _actor(session, actor),
            post_id=original.id,
            visibility=visibility,
            uri=act["id"],
        )


async def on_like(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    async with fed.db.transaction() as session:
        post = await find_post_by_uri(session, id_of(act.get("object")) or "")
        if post is None or not post.local:
            return  # likes of others' posts are their server's business
        liker = await _actor(session, actor)
        await interactions.upvote_post(session, actor=liker, post_id=post.id)
        upvote = await session.scalar(
            select(Upvote).where(Upvote.account_id == liker.id, Upvote.post_id == post.id)
        )
        if upvote is not None and upvote.uri is None:
            upvote.uri = act["id"]


async def on_block(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    async with fed.db.transaction() as session:
        target = await _local_account(session, id_of(act.get("object")))
        await relationships.block_account(
            session, actor=await _actor(session, actor), target=target, uri=act["id"]
        )


async def on_undo(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    raw = act.get("object")
    inner: dict[str, Any] = raw if isinstance(raw, dict) else {}
    inner_id = id_of(raw)
    kind = type_of(inner)
    if id_of(inner.get("actor")) not in (None, actor.uri):
        raise Rejected("an actor may only undo its own activities")
    async with fed.db.transaction() as session:
        me = await _actor(session, actor)
        if kind == "Follow":
            target = await _local_account(session, id_of(inner.get("object")))
            await relationships.unfollow_account(session, follower=me, target=target)
        elif kind == "Block":
            target = await _local_account(session, id_of(inner.get("object")))
            await relationships.unblock_account(session, actor=me, target=target)
        elif kind == "Like" or (kind == "" and inner_id):
            upvote = await session.scalar(
                select(Upvote).where(Upvote.uri == inner_id, Upvote.account_id == me.id)
            )
            if upvote is None and kind == "Like":
                # Mastodon (and Parley) may name the Like by another id: go by its object.
                liked = await find_post_by_uri(session, id_of(inner.get("object")) or "")
                if liked is not None:
                    await interactions.remove_upvote(session, actor=me, post_id=liked.id)
            elif upvote is not None:
                await interactions.remove_upvote(session, actor=me, post_id=upvote.post_id)
            else:
                await _undo_announce(session, me, inner_id or "")
        elif kind == "Announce" and inner_id:
            await _undo_announce(session, me, inner_id)


async def _undo_announce(session: AsyncSession, actor: Account, uri: str) -> None:
    echo = await find_post_by_uri(session, uri)
    if echo is not None and echo.account_id == actor.id and echo.echo_of_id is not None:
        await posts.delete_post(session, actor=actor, post_id=echo.id)


HANDLERS: dict[str, Apply] = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Announce": on_announce,
    "Like": on_like,
    "Block": on_block,
    "Undo": on_undo,
    "Flag": on_flag,
    "Move": on_move,
}


async def process(fed: Federation, inbox_activity_id: int, *, forwarded: bool = False) -> None:
    """Apply one stored activity (the `ap.process_inbox` job). Transient errors propagate.

    A `forwarded` activity (signed by a third server) is first checked with its origin."""
    async with fed.db.reader() as session:
        row = await session.get(InboxActivity, inbox_activity_id)
        actor = (
            None if row is None else await federation.find_account_by_uri(session, row.actor_uri)
        )
    if row is None or row.processed_at is not None:
        return
    handler = HANDLERS.get(row.type)
    error: str | None = None
    if handler is None:
        error = f"ignored: {row.type} is not handled"
        log.info("inbox: %s", error)
    elif actor is None and not forwarded:
        error = "actor unknown"
    else:
        try:
            async with fed.client() as http:
                activity = row.raw
                if forwarded:
                    activity = await forwarded_activities.authenticate(fed, http, row.raw)
                    if actor is None:
                        actor = await resolve_actor(fed, http, row.actor_uri)
                if actor is not None:
                    await handler(fed, http, actor, activity)
        except (Rejected, InvalidDocument, DomainError) as exc:
            error = f"rejected: {exc}"
            log.info("inbox: %s %s from %s %s", row.type, row.activity_id, row.actor_uri, error)
        except Gone as exc:
            error = f"rejected: {exc}"
        # Any other FetchError propagates: another server is down, the queue retries later.
    async with fed.db.transaction() as session:
        stored = await session.get(InboxActivity, inbox_activity_id)
        if stored is not None:
            await federation.mark_processed(session, stored, error)
