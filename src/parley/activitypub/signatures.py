"""HTTP Signatures as the fediverse does them (draft-cavage-http-signatures-12).

We sign `(request-target) host date digest` for POST and `(request-target) host date` for
GET with rsa-sha256, as Mastodon does. We verify rsa-sha256 and hs2019 (the key decides:
RSA or Ed25519), and require the signed headers to cover the request target, the host, a
date (or `(created)`), and for a body its Digest, which must match the body.

Freshness: a signature dated more than one hour in the past or five minutes in the future
is refused. Senders sign each attempt anew (Mastodon, Misskey, GoToSocial, Pleroma all do),
so an hour only has to cover clock drift and queueing inside the sender; replays inside the
window change nothing because inbound activities are idempotent on their id.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

MAX_AGE = timedelta(hours=1)
MAX_FUTURE = timedelta(minutes=5)
ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
_PARAM_RE = re.compile(r'\s*([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))\s*(?:,|$)')


class SignatureError(Exception):
    """The request is unsigned, or its signature cannot be accepted."""


@dataclass(frozen=True, slots=True)
class PendingSignature:
    """A parsed, fresh, digest-checked signature still to be checked against the key."""

    key_id: str
    signed_text: bytes
    signature: bytes


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


@functools.lru_cache(maxsize=256)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("only RSA keys sign our requests")
    return key


@functools.lru_cache(maxsize=1024)
def _public_key(pem: str) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise SignatureError("the actor's public key is not a PEM key") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise SignatureError("unsupported key type")
    return key


def _target(method: str, url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{method.lower()} {path}?{parts.query}" if parts.query else f"{method.lower()} {path}"


def sign_request(
    *,
    method: str,
    url: str,
    key_id: str,
    private_key_pem: str,
    body: bytes | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers (Host, Date, Digest for a body, Signature) that sign this request."""
    headers = {
        "Host": urlsplit(url).netloc,
        "Date": format_datetime(now or datetime.now(UTC), usegmt=True),
    }
    names = ["(request-target)", "host", "date"]
    if body is not None:
        headers["Digest"] = digest_header(body)
        names.append("digest")
    lines = [f"(request-target): {_target(method, url)}"]
    lines += [f"{name}: {headers[name.capitalize()]}" for name in names[1:]]
    text = "\n".join(lines).encode()
    signature = _private_key(private_key_pem).sign(text, padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def parse_signature_header(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(value):
        params[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
    return params


def _check_fresh(at: datetime, now: datetime) -> None:
    if at < now - MAX_AGE:
        raise SignatureError("signature has expired (Date more than an hour old)")
    if at > now + MAX_FUTURE:
        raise SignatureError("signature is dated in the future")


def _header_date(raw: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError) as exc:
        raise SignatureError("unreadable Date header") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def prepare(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes | None,
    now: datetime | None = None,
) -> PendingSignature:
    """Parse and check everything but the key: coverage, freshness, the body's digest.

    `path` is the request target as sent (path and query); `headers` is case-insensitive
    (Starlette's and httpx's header objects are).
    """
    now = now or datetime.now(UTC)
    raw = headers.get("signature")
    if not raw:
        raise SignatureError("request is not signed")
    params = parse_signature_header(raw)
    key_id, signature_b64 = params.get("keyId"), params.get("signature")
    if not key_id or not signature_b64:
        raise SignatureError("Signature header lacks keyId or signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ACCEPTED_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm}")
    names = params.get("headers", "date").lower().split()
    if "(request-target)" not in names or "host" not in names:
        raise SignatureError("signature must cover (request-target) and host")
    if "date" in names:
        _check_fresh(_header_date(headers.get("date", "")), now)
    elif "(created)" in names and params.get("created", "").isdigit():
        _check_fresh(datetime.fromtimestamp(int(params["created"]), UTC), now)
    else:
        raise SignatureError("signature must cover date")
    expires = params.get("expires", "").split(".")[0]
    if (
        "(expires)" in names
        and expires.isdigit()
        and datetime.fromtimestamp(int(expires), UTC) < now
    ):
        raise SignatureError("signature has expired")
    if body is not None:
        if "digest" not in names:
            raise SignatureError("signature must cover the Digest of the body")
        _check_digest(headers.get("digest", ""), body)
    lines: list[str] = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params.get(name[1:-1], '')}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            raise SignatureError(f"signed header {name} is missing")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError as exc:
        raise SignatureError("signature is not base64") from exc
    return PendingSignature(key_id, "\n".join(lines).encode(), signature)


def _check_digest(header: str, body: bytes) -> None:
    for entry in header.split(","):
        algorithm, _, value = entry.strip().partition("=")
        if algorithm.lower() == "sha-256":
            if value != digest_header(body).partition("=")[2]:
                raise SignatureError("Digest does not match the body")
            return
    raise SignatureError("request has no SHA-256 Digest")


def verify(pending: PendingSignature, public_key_pem: str) -> bool:
    key = _public_key(public_key_pem)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(pending.signature, pending.signed_text, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(pending.signature, pending.signed_text)
    except InvalidSignature:
        return False
    return True
