"""Who signed an incoming request: verify its HTTP Signature against the signer's key.

The key is looked up (or fetched) by keyId; if the stored key does not verify, it is
fetched again once, since the actor may have rotated its key.
"""

from __future__ import annotations

import httpx
from starlette.requests import Request

from parley.activitypub import signatures
from parley.activitypub.federation import Federation
from parley.activitypub.fetch import FetchError, resolve_key
from parley.activitypub.signatures import SignatureError
from parley.domain.accounts.models import Account


def request_target(request: Request) -> str:
    """The path and query exactly as the client sent them (what it signed)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    target = raw.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


async def verify_request(
    fed: Federation, http: httpx.AsyncClient, request: Request, body: bytes | None
) -> Account:
    """The account whose key signed this request; SignatureError if none did."""
    pending = signatures.prepare(
        method=request.method, path=request_target(request), headers=request.headers, body=body
    )
    try:
        account = await resolve_key(fed, http, pending.key_id)
        if account.public_key_pem and signatures.verify(pending, account.public_key_pem):
            return account
        if account.domain is None:
            raise SignatureError("signature does not verify")
        account = await resolve_key(fed, http, pending.key_id, refresh=True)
    except FetchError as exc:
        raise SignatureError(f"cannot get the signer's key: {exc}") from exc
    if account.public_key_pem and signatures.verify(pending, account.public_key_pem):
        return account
    raise SignatureError("signature does not verify")
