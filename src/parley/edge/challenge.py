"""The proof-of-work asked of anonymous browsers in under-attack mode.

The server hands out a signed, short-lived challenge bound to the client's address; the
browser finds a number whose SHA-256 over `challenge:number` starts with `bits` zero bits and
posts it back; the server checks the signature, expiry, address and hash (one hash: cheap for
us, about 2^bits hashes for the client), then sets a signed pass cookie for that address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

PASS_COOKIE = "parley_pass"  # noqa: S105 (a cookie name)
CHALLENGE_TTL = 300


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def seal(secret: str, fields: list[str], *, ttl: int, now: float | None = None) -> str:
    """`fields` plus an expiry, with an HMAC over them (fields must not contain '~')."""
    expires = int((now or time.time()) + ttl)
    payload = "~".join([*fields, str(expires)])
    return f"{payload}~{_mac(secret, payload)}"


def open_seal(secret: str, sealed: str, *, now: float | None = None) -> list[str] | None:
    """The fields of a sealed value, or None when forged, damaged or expired."""
    payload, _, mac = sealed.rpartition("~")
    # As bytes: compare_digest refuses non-ASCII str, and `sealed` comes from the client.
    expected = _mac(secret, payload).encode()
    if not payload or not hmac.compare_digest(mac.encode("utf-8", "replace"), expected):
        return None
    *fields, expires = payload.split("~")
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return None
    return fields


def new_challenge(secret: str, client: str, bits: int) -> str:
    return seal(secret, ["pow", client, str(bits), secrets.token_hex(8)], ttl=CHALLENGE_TTL)


def leading_zero_bits(data: bytes) -> int:
    value = int.from_bytes(data, "big")
    return len(data) * 8 - value.bit_length()


def solves(challenge: str, answer: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{answer}".encode()).digest()
    return leading_zero_bits(digest) >= bits


def check_answer(secret: str, client: str, challenge: str, answer: str) -> bool:
    """A genuine, unexpired challenge for this client, answered with enough zero bits."""
    fields = open_seal(secret, challenge)
    if fields is None or len(fields) != 4 or fields[0] != "pow" or fields[1] != client:
        return False
    if not fields[2].isdigit() or not answer.isdigit() or len(answer) > 20:
        return False
    return solves(challenge, answer, int(fields[2]))


def new_pass(secret: str, client: str, *, hours: int) -> str:
    return seal(secret, ["pass", client], ttl=hours * 3600)


def valid_pass(secret: str, client: str, cookie: str) -> bool:
    return open_seal(secret, cookie) == ["pass", client]
