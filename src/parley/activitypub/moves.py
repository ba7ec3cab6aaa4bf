"""Account moves over ActivityPub: the Move activity out, Move in, and fresh actor lookups.

Move in follows Mastodon's checks: the sender must be the account that moves (`object` is
the actor), and the target, fetched again now, must list the origin in `alsoKnownAs`.
Only then do local followers of the origin follow the target.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from parley.activitypub import activities
from parley.activitypub.delivery import publish
from parley.activitypub.federation import Federation
from parley.activitypub.fetch import FetchError, resolve_actor, webfinger
from parley.activitypub.notes import Rejected
from parley.activitypub.to_ap import followers_url, load_actor, with_context
from parley.activitypub.vocab import id_of
from parley.domain.accounts.models import Account
from parley.domain.portability import migration

log = logging.getLogger(__name__)


def render_move(*, origin: Account, target_uri: str) -> dict[str, Any]:
    return with_context(
        {
            "id": f"{origin.uri}#moves/{origin.moved_to_id}",
            "type": "Move",
            "actor": origin.uri,
            "object": origin.uri,
            "target": target_uri,
            "to": [followers_url(origin)],
        }
    )


def move_listener(fed: Federation) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """On ACCOUNT_MOVED: tell followers' servers (the actor's movedTo, then the Move)."""

    async def moved(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            account = await session.get(Account, payload["account_id"])
            target = await session.get(Account, payload["target_id"])
            if account is None or account.domain is not None or target is None:
                return
            actor = await load_actor(session, account, base_url=fed.base_url)
            for activity in (
                activities.update_actor(actor),
                render_move(origin=account, target_uri=target.uri),
            ):
                await publish(session, activity, signer_id=account.id, followers_of=account.id)

    return moved


async def on_move(
    fed: Federation, http: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    """An incoming Move: checked, then the origin's local followers go to the target."""
    origin_uri, target_uri = id_of(act.get("object")), id_of(act.get("target"))
    if origin_uri != actor.uri:
        raise Rejected("an actor may only move itself")
    if not target_uri or target_uri == origin_uri:
        raise Rejected("a Move needs a target other than its origin")
    # Fetched again whatever we have stored: the alias may have been added a minute ago.
    target = await resolve_actor(fed, http, target_uri, refresh=True)
    if actor.uri not in (target.also_known_as or []):
        raise Rejected("the target does not list the origin in alsoKnownAs")
    if target.suspended_at is not None or target.moved_to_id is not None:
        raise Rejected("the target cannot take followers")
    async with fed.db.transaction() as session:
        moved = await migration.accept_move(session, origin_id=actor.id, target_id=target.id)
    log.info("move of %s to %s: %d local followers moved", actor.uri, target.uri, moved)


async def refresh_account(fed: Federation, query: str) -> int | None:
    """Like search's resolver, but an actor URL is always fetched again."""
    try:
        async with fed.client() as http:
            if query.startswith(("https://", "http://")):
                return (await resolve_actor(fed, http, query, refresh=True)).id
            return (await webfinger(fed, http, query)).id
    except FetchError as exc:
        log.info("could not refresh %s: %s", query, exc)
        return None
