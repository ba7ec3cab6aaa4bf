"""Remote posts: turning a Note from another server into a stored post, and applying edits.

Origin rule: a Note is accepted only from its own host (its id and its author on the same
host as each other, and, when it arrives in an activity, as the activity's actor). Network
work (fetching the author, the parent, the quoted post) happens before the transaction that
stores the post, so no database lock is held while we wait on another server.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.activitypub.federation import Federation
from parley.activitypub.fetch import FetchError, fetch_document, resolve_actor
from parley.activitypub.from_ap import InvalidDocument, RemoteNote, parse_note
from parley.activitypub.vocab import host_of
from parley.domain.accounts.models import Account
from parley.domain.federation.remote_posts import (
    RemotePostData,
    create_remote_post,
    find_post_by_uri,
    update_remote_post,
)
from parley.domain.posts.models import Post

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # how far up a thread we fetch parents we have not seen


class Rejected(Exception):
    """The activity breaks a rule; it is recorded as failed and never retried."""


def check_origin(note: RemoteNote, actor_uri: str | None) -> None:
    if host_of(note.uri) != host_of(note.author_uri):
        raise Rejected("a post's id and author are on different hosts")
    if actor_uri is not None and note.author_uri != actor_uri:
        raise Rejected("an actor may only send its own posts")


async def _known_post(fed: Federation, uri: str) -> Post | None:
    async with fed.db.reader() as session:
        return await find_post_by_uri(session, uri)


async def _ensure_post(
    fed: Federation, http: httpx.AsyncClient, uri: str | None, depth: int
) -> None:
    """Make sure a referenced post (parent, quote) is stored, fetching it if we can."""
    if uri is None or depth >= MAX_DEPTH or host_of(uri) == fed.domain:
        return
    if await _known_post(fed, uri) is not None:
        return
    try:
        doc = await fetch_document(fed, http, uri)
        await store_note(fed, http, doc, actor_uri=None, depth=depth + 1)
    except (FetchError, InvalidDocument, Rejected) as exc:
        log.info("could not fetch referenced post %s: %s", uri, exc)


async def _prepare(
    fed: Federation, http: httpx.AsyncClient, doc: dict[str, Any], actor_uri: str | None, depth: int
) -> tuple[RemoteNote, Account]:
    check_origin(parse_note(doc), actor_uri)  # before fetching anything a forger names
    author = await resolve_actor(fed, http, parse_note(doc).author_uri)
    note = parse_note(doc, followers_url=author.followers_url)
    if author.domain is None:
        raise Rejected("a remote document may not speak for a local account")
    await _ensure_post(fed, http, note.in_reply_to, depth)
    await _ensure_post(fed, http, note.quote_uri, depth)
    return note, author


async def _post_data(session: AsyncSession, note: RemoteNote) -> RemotePostData:
    parent = await find_post_by_uri(session, note.in_reply_to) if note.in_reply_to else None
    quoted = await find_post_by_uri(session, note.quote_uri) if note.quote_uri else None
    mentioned: list[Account] = []
    if note.mention_uris:
        rows = await session.scalars(
            select(Account).where(
                Account.uri.in_(note.mention_uris[:50]), Account.suspended_at.is_(None)
            )
        )
        mentioned = list(rows)
    poll = None
    if note.poll is not None:
        poll = (note.poll.options, note.poll.multiple, note.poll.ends_at, note.poll.voters_count)
    return RemotePostData(
        uri=note.uri,
        url=note.url,
        content_html=note.content_html,
        text=note.text,
        visibility=note.visibility,
        spoiler_text=note.summary,
        sensitive=note.sensitive,
        language=note.language,
        published=note.published,
        edited_at=note.updated,
        # A reply to an echo makes no sense; replies and quotes point at originals.
        in_reply_to=parent if parent is None or parent.echo_of_id is None else None,
        quote_of=quoted if quoted is None or quoted.echo_of_id is None else None,
        mentioned=mentioned,
        tags=note.tags,
        poll=poll,
        attachments=note.attachments,
    )


async def store_note(
    fed: Federation,
    http: httpx.AsyncClient,
    doc: dict[str, Any],
    *,
    actor_uri: str | None,
    depth: int = 0,
) -> Post:
    """Store a remote Note (idempotent). `actor_uri`: the sending actor, when in an activity."""
    note, author = await _prepare(fed, http, doc, actor_uri, depth)
    async with fed.db.transaction() as session:
        stored = await session.get(Account, author.id)
        if stored is None:
            raise Rejected("author vanished")
        data = await _post_data(session, note)
        return await create_remote_post(session, author=stored, data=data)


async def update_note(
    fed: Federation, http: httpx.AsyncClient, doc: dict[str, Any], *, actor_uri: str
) -> Post | None:
    """Apply an edit to a stored remote post; an edit of a post we never saw is ignored."""
    note, author = await _prepare(fed, http, doc, actor_uri, MAX_DEPTH)
    async with fed.db.transaction() as session:
        post = await find_post_by_uri(session, note.uri)
        if post is None:
            return None
        if post.account_id != author.id:
            raise Rejected("only the author may edit a post")
        data = await _post_data(session, note)
        return await update_remote_post(session, post=post, data=data)
