"""Short-lived signed values for cookies (HMAC-SHA256 with the instance secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def sign(secret: str, value: str, *, ttl_seconds: int) -> str:
    expires = int(time.time()) + ttl_seconds
    payload = f"{value}|{expires}"
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return (
        base64.urlsafe_b64encode(payload.encode()).decode()
        + "."
        + base64.urlsafe_b64encode(mac).decode()
    )


def unsign(secret: str, signed: str) -> str | None:
    """The value, or None if the signature is wrong or it has expired."""
    try:
        payload_b64, mac_b64 = signed.split(".", 1)
        payload = base64.urlsafe_b64decode(payload_b64.encode()).decode()
        mac = base64.urlsafe_b64decode(mac_b64.encode())
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        return None
    value, _, expires = payload.rpartition("|")
    if not expires.isdigit() or int(expires) < time.time():
        return None
    return value
