"""Linked-data signatures (RsaSignature2017), as Mastodon puts on activities it forwards.

The signed text is sha256(canon(options)) + sha256(canon(document without `signature`)) in
hex, where canon is URDNA2015 canonicalization to N-Quads (pyld) and the options are the
signature's `creator`, `created` (and `nonce`) under the identity/v1 context; the signature is
RSA PKCS#1 v1.5 over SHA-256 of that text.

Context documents are never fetched: the few the fediverse signs with ship in `contexts/`
(activitystreams, security/v1, identity/v1); a document naming any other remote context does
not verify (and the caller falls back to asking the object's origin).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyld import jsonld  # type: ignore[import-untyped]

CONTEXTS = Path(__file__).parent / "contexts"
KNOWN_CONTEXTS = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.json",
    "https://w3id.org/security/v1": "security-v1.json",
    "https://w3id.org/identity/v1": "identity-v1.json",
}


class UnknownContext(Exception):
    """The document names a context we do not ship (we never fetch one)."""


@functools.cache
def _context(url: str) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((CONTEXTS / KNOWN_CONTEXTS[url]).read_bytes())
    return document


def _loader(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
    key = url.rstrip("#").removesuffix(".jsonld")
    if key.startswith("http://www.w3.org/"):
        key = "https://" + key.removeprefix("http://")
    if key not in KNOWN_CONTEXTS:
        raise UnknownContext(url)
    return {"contextUrl": None, "documentUrl": url, "document": _context(key)}


def _canonical_hash(document: dict[str, Any]) -> str:
    quads = jsonld.normalize(
        document,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": _loader},
    )
    return hashlib.sha256(quads.encode()).hexdigest()


def signer_key_id(document: dict[str, Any]) -> str | None:
    """The keyId (`creator`) of an RsaSignature2017 on `document`, if it carries one."""
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("type") != "RsaSignature2017":
        return None
    creator = signature.get("creator")
    return creator if isinstance(creator, str) else None


def _signed_text(document: dict[str, Any]) -> bytes:
    signature = document["signature"]
    options = {
        "@context": "https://w3id.org/identity/v1",
        **{k: signature[k] for k in ("creator", "created", "nonce") if k in signature},
    }
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return (_canonical_hash(options) + _canonical_hash(unsigned)).encode()


def verify_ld_signature(document: dict[str, Any], public_key_pem: str) -> bool:
    """Whether `document`'s RsaSignature2017 was made with the key `public_key_pem`."""
    if signer_key_id(document) is None:
        return False
    value = document["signature"].get("signatureValue")
    if not isinstance(value, str):
        return False
    try:
        signed = _signed_text(document)
        signature = base64.b64decode(value, validate=True)
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except (UnknownContext, jsonld.JsonLdError, ValueError):
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
