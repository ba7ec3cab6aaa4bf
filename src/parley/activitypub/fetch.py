"""Fetching remote documents (signed as the instance actor) and resolving remote actors.

A fetched document is trusted only for the URL that served it: its `id` must equal the
final URL fetched (after redirects), or a server could make us store its document under
someone else's identity (CVE-2024-23832 in Mastodon).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from parley.activitypub.federation import Federation
from parley.activitypub.from_ap import InvalidDocument, parse_actor
from parley.activitypub.signatures import sign_request
from parley.activitypub.vocab import ACCEPT, host_of, is_as2_media_type
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import find_local_account
from parley.domain.federation import service as federation
from parley.domain.federation.service import RemoteActor
from parley.domain.portability import migration
from parley.infra.http import HttpError, fetch
from parley.infra.keys import KeyPair

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class FetchError(Exception):
    """A remote document could not be fetched or is not acceptable."""


class Gone(FetchError):
    """The remote server says the object does not exist (404) or was deleted (410)."""


async def instance_key(fed: Federation) -> KeyPair:
    async with fed.db.transaction() as session:
        return await federation.get_instance_key(session)


async def fetch_document(
    fed: Federation, http: httpx.AsyncClient, url: str, *, key: KeyPair | None = None
) -> dict[str, Any]:
    """GET an AS2 document with a signed request; its id must be the URL that served it."""
    key = key or await instance_key(fed)
    target = url.split("#", 1)[0]

    def headers_for(hop: str) -> dict[str, str]:
        headers = sign_request(
            method="GET", url=hop, key_id=fed.instance_key_id, private_key_pem=key.private_pem
        )
        headers["Accept"] = ACCEPT
        return headers

    try:
        fetched = await fetch(http, target, headers_for=headers_for)
    except HttpError as exc:
        raise FetchError(str(exc)) from exc
    if fetched.status in (404, 410):
        raise Gone(f"{target} answered {fetched.status}")
    if fetched.status != 200:
        raise FetchError(f"{target} answered {fetched.status}")
    if not is_as2_media_type(fetched.headers.get("content-type", "")):
        raise FetchError(f"{target} is not an ActivityStreams document")
    try:
        doc = orjson.loads(fetched.body)
    except orjson.JSONDecodeError as exc:
        raise FetchError(f"{target} sent malformed JSON") from exc
    if not isinstance(doc, dict) or doc.get("id") != fetched.url:
        raise FetchError(f"the document at {fetched.url} claims another id")
    return doc


async def _store_actor(fed: Federation, actor: RemoteActor) -> Account:
    async with fed.db.transaction() as session:
        account = await federation.upsert_remote_account(session, actor)
        await federation.record_host_success(session, actor.domain)
        return account


async def fetch_actor(
    fed: Federation, http: httpx.AsyncClient, uri: str, *, follow_move: bool = True
) -> Account:
    """Fetch (or re-fetch) a remote actor and store it, with where it moved (movedTo)
    unless `follow_move` is False (when fetching a move's target: no chains)."""
    if host_of(uri) == fed.domain:
        raise FetchError("local actors are not fetched")
    try:
        actor = parse_actor(await fetch_document(fed, http, uri))
    except InvalidDocument as exc:
        raise FetchError(f"{uri}: {exc}") from exc
    account = await _store_actor(fed, actor)
    if follow_move:
        await note_moved_to(fed, http, account, actor.moved_to_uri)
    return account


async def note_moved_to(
    fed: Federation, http: httpx.AsyncClient, account: Account, moved_to_uri: str | None
) -> None:
    """Record a remote actor's movedTo, for display ("has moved to", the API's `moved`).

    Believed only when the target lists the actor in alsoKnownAs (fetched again if the
    stored copy does not), as for a Move; nothing else happens here: follows move only on
    a verified Move activity. No movedTo clears it; an unreachable target changes nothing.
    """
    target_id = None
    if moved_to_uri is not None and moved_to_uri != account.uri:
        try:
            target = await resolve_actor(fed, http, moved_to_uri, follow_move=False)
            if account.uri not in (target.also_known_as or []) and target.domain is not None:
                target = await fetch_actor(fed, http, moved_to_uri, follow_move=False)
        except FetchError as exc:
            log.info("movedTo of %s not resolved: %s", account.uri, exc)
            return
        if account.uri not in (target.also_known_as or []):
            log.info("movedTo of %s ignored: %s does not list it", account.uri, target.uri)
            return
        target_id = target.id
    if account.moved_to_id == target_id:
        return
    async with fed.db.transaction() as session:
        await migration.set_remote_moved_to(session, account_id=account.id, target_id=target_id)
    account.moved_to_id = target_id


async def resolve_actor(
    fed: Federation,
    http: httpx.AsyncClient,
    uri: str,
    *,
    refresh: bool = False,
    follow_move: bool = True,
) -> Account:
    """The account for an actor URI, fetched if we do not know it yet (or on `refresh`)."""
    async with fed.db.reader() as session:
        account = await federation.find_account_by_uri(session, uri)
    if account is not None and (account.domain is None or not refresh):
        return account
    return await fetch_actor(fed, http, uri, follow_move=follow_move)


async def resolve_key(
    fed: Federation, http: httpx.AsyncClient, key_id: str, *, refresh: bool = False
) -> Account:
    """The account owning a signature's keyId; fetched when unknown or on `refresh`."""
    if not refresh:
        async with fed.db.reader() as session:
            account = await federation.find_account_by_key_id(session, key_id)
        if account is not None and account.public_key_pem:
            return account
    if host_of(key_id) == fed.domain:
        raise FetchError("unknown local key")
    doc = await fetch_document(fed, http, key_id)
    if "publicKey" not in doc and isinstance(doc.get("owner"), str):
        # GoToSocial-style key documents name their owner; the owner must list this key.
        if host_of(doc["owner"]) != host_of(key_id):
            raise FetchError("key owner lives on another host")
        doc = await fetch_document(fed, http, doc["owner"])
    try:
        actor = parse_actor(doc)
    except InvalidDocument as exc:
        raise FetchError(f"{key_id}: {exc}") from exc
    if actor.public_key_id != key_id:
        raise FetchError("the actor does not own this key")
    return await _store_actor(fed, actor)


def _webfinger_base(fed: Federation, domain: str) -> str:
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    insecure = fed.settings.federation_allow_insecure and host in LOOPBACK
    return f"{'http' if insecure else 'https'}://{domain}"


async def webfinger(fed: Federation, http: httpx.AsyncClient, acct: str) -> Account:
    """Resolve `user@domain` through WebFinger to a stored account."""
    user, _, domain = acct.strip().lstrip("@").removeprefix("acct:").partition("@")
    domain = domain.lower()
    if not user or not domain:
        raise FetchError("an address looks like user@domain")
    if domain == fed.domain:
        async with fed.db.reader() as session:
            local = await find_local_account(session, user)
        if local is None:
            raise FetchError(f"no local account {user}")
        return local
    resource = quote(f"acct:{user}@{domain}", safe=":@")
    url = f"{_webfinger_base(fed, domain)}/.well-known/webfinger?resource={resource}"
    try:
        fetched = await fetch(
            http, url, headers_for=lambda _: {"Accept": "application/jrd+json"}, limit=64 * 1024
        )
        jrd = orjson.loads(fetched.body) if fetched.status == 200 else None
    except (HttpError, orjson.JSONDecodeError) as exc:
        raise FetchError(f"WebFinger for {acct} failed: {exc}") from exc
    links = jrd.get("links") if isinstance(jrd, dict) else None
    href = next(
        (
            link.get("href")
            for link in links or []
            if isinstance(link, dict)
            and link.get("rel") == "self"
            and is_as2_media_type(str(link.get("type", "")))
        ),
        None,
    )
    if not isinstance(href, str):
        raise FetchError(f"WebFinger for {acct} names no ActivityPub actor")
    account = await resolve_actor(fed, http, href, refresh=True)
    # Split-domain setups (acct domain differs from the actor's host) are not supported yet.
    if account.username_lower != user.lower() or account.domain != domain:
        raise FetchError(f"{href} is not {acct}")
    return account
