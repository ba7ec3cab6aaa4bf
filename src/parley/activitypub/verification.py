"""Who signed an incoming request: verify its HTTP Signature against the signer's key.

The key is taken from the per-process cache, else looked up in the database, else fetched
(signed, as the instance actor). If the key we hold does not verify, it is fetched again
once, since the actor may have rotated it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
from starlette.requests import Request

from parley.activitypub import signatures
from parley.activitypub.federation import Federation
from parley.activitypub.fetch import FetchError, resolve_key
from parley.activitypub.signatures import PendingSignature, SignatureError
from parley.domain.accounts.models import Account


def request_target(request: Request) -> str:
    """The path and query exactly as the client sent them (what it signed)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    target = raw.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


def _verifies(account: Account, pending: PendingSignature) -> bool:
    return bool(account.public_key_pem) and signatures.verify(pending, account.public_key_pem or "")


async def verify_request(
    fed: Federation, http: httpx.AsyncClient | None, request: Request, body: bytes | None
) -> Account:
    """The account whose key signed this request; SignatureError if none did.

    `http` is used for key fetches; without one, a client is made only if a fetch is needed.
    """
    pending = signatures.prepare(
        method=request.method, path=request_target(request), headers=request.headers, body=body
    )
    cached = fed.keys.get(pending.key_id)
    if cached is not None and _verifies(cached, pending):
        return cached
    fed.keys.drop(pending.key_id)
    async with AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(fed.client())
        try:
            account = await resolve_key(fed, http, pending.key_id)
            if not _verifies(account, pending):
                if account.domain is None:
                    raise SignatureError("signature does not verify")
                account = await resolve_key(fed, http, pending.key_id, refresh=True)
                if not _verifies(account, pending):
                    raise SignatureError("signature does not verify")
        except FetchError as exc:
            raise SignatureError(f"cannot get the signer's key: {exc}") from exc
    fed.keys.put(pending.key_id, account)
    return account
