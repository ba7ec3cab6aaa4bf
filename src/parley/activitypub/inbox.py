"""The inbox: accept fast, apply later.

Receiving (`receive`): parse, verify the signature, check that the signer is the activity's
actor, store the raw activity (a replay is a no-op), enqueue `ap.process_inbox`, answer 202.
Applying (`process`): the job dispatches on the activity's type to parley.activitypub.apply.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from parley.activitypub.federation import Federation
from parley.activitypub.fetch import FetchError, resolve_key
from parley.activitypub.forwarded import may_be_forwarded
from parley.activitypub.ldsignatures import signer_key_id, verify_ld_signature
from parley.activitypub.signatures import SignatureError
from parley.activitypub.verification import verify_request
from parley.activitypub.vocab import host_of, id_of, type_of
from parley.domain.accounts.queries import find_local_account
from parley.domain.federation import service as federation
from parley.domain.moderation.blocks import find_domain_block
from parley.domain.moderation.models import Severity
from parley.jobs.queue import enqueue

log = logging.getLogger(__name__)

PROCESS_JOB = "ap.process_inbox"
MAX_BODY = 1024 * 1024


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict) or not type_of(doc) or not id_of(doc.get("actor")):
        return None
    return doc


async def _signed_by_actor(fed: Federation, doc: dict[str, Any], actor_uri: str) -> bool:
    """Whether a linked-data signature on `doc` (a forward) verifies with the actor's key."""
    key_id = signer_key_id(doc)
    if key_id is None or key_id.split("#", 1)[0] != actor_uri:
        return False
    try:
        async with fed.client() as http:
            actor = await resolve_key(fed, http, key_id)
    except FetchError:
        return False
    if actor.uri != actor_uri or not actor.public_key_pem:
        return False
    # Canonicalizing JSON-LD is CPU work: keep it off the event loop.
    return await anyio.to_thread.run_sync(verify_ld_signature, doc, actor.public_key_pem)


async def receive(request: Request) -> Response:
    """POST /inbox and /users/{username}/inbox."""
    fed: Federation = request.app.state.federation
    username = request.path_params.get("username")
    if username is not None:
        async with fed.db.reader() as session:
            if await find_local_account(session, username) is None:
                return _error(404, "no such inbox")
    try:
        body = await _read_body(request)
    except ClientDisconnect:
        return _error(400, "incomplete body")
    if body is None:
        return _error(413, "activity too large")
    doc = _parse(body)
    if doc is None:
        return _error(400, "body is not an ActivityStreams activity")
    actor_uri = id_of(doc["actor"]) or ""
    async with fed.db.reader() as session:
        block = await find_domain_block(session, host_of(actor_uri))
    if block is not None and block.severity == Severity.SUSPEND:
        return _error(403, "this server is blocked")
    if type_of(doc) == "Delete" and id_of(doc.get("object")) == actor_uri:
        # An account deleting itself: if we never knew it there is nothing to do, and its key
        # is gone with it, so do not fetch (Mastodon's servers send these to everyone).
        async with fed.db.reader() as session:
            if await federation.find_account_by_uri(session, actor_uri) is None:
                return Response(status_code=202)
    try:
        signer = await verify_request(fed, None, request, body)
    except SignatureError as exc:
        log.info("inbox: refused %s from %s: %s", type_of(doc), actor_uri, exc)
        return _error(401, str(exc))
    forwarded = signer.uri != actor_uri and not await _signed_by_actor(fed, doc, actor_uri)
    if forwarded and not may_be_forwarded(doc):
        return _error(401, "the signer is not the activity's actor")
    activity_id = id_of(doc.get("id")) or f"urn:sha256:{hashlib.sha256(body).hexdigest()}"
    if activity_id.startswith("http") and host_of(activity_id) != host_of(actor_uri):
        return _error(400, "an actor may only send activities with ids on its own host")
    if forwarded:
        # Checked with the origin when applied (parley.activitypub.forwarded). Kept under its
        # own key so that a forger cannot take the id and turn the author's delivery into a
        # "replay".
        activity_id = f"{activity_id} forwarded-by {signer.uri}"
    host = host_of(actor_uri)
    async with fed.db.transaction() as session:
        row_id = await federation.record_inbox_activity(
            session, activity_id=activity_id, actor_uri=actor_uri, type=type_of(doc), raw=doc
        )
        if row_id is not None:
            job = {"inbox_activity_id": row_id, **({"forwarded": True} if forwarded else {})}
            await enqueue(session, PROCESS_JOB, job)
        if not fed.hosts.recently_healthy(host):
            await federation.record_host_success(session, host)
    fed.hosts.healthy(host)
    return Response(status_code=202)
