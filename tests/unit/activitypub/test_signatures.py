"""HTTP Signatures: what we sign verifies, and every kind of tampering is refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from parley.activitypub import signatures
from parley.activitypub.signatures import SignatureError, digest_header, sign_request
from tests.unit.activitypub.conftest import shared_keys

URL = "https://parley.test/users/alice/inbox"
BODY = b'{"type":"Follow","actor":"https://mastodon.example/users/bob"}'
KEY_ID = "https://mastodon.example/users/bob#main-key"


def _verify(
    headers: dict[str, str],
    *,
    body: bytes | None = BODY,
    public_pem: str,
    path: str = "/users/alice/inbox",
    method: str = "POST",
    now: datetime | None = None,
) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    pending = signatures.prepare(method=method, path=path, headers=lowered, body=body, now=now)
    assert pending.key_id == KEY_ID
    return signatures.verify(pending, public_pem)


def test_a_signed_post_verifies() -> None:
    private, public = shared_keys(0)
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    assert headers["Digest"] == digest_header(BODY)
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert _verify(headers, public_pem=public)


def test_a_signed_get_covers_request_target_host_and_date() -> None:
    private, public = shared_keys(0)
    headers = sign_request(
        method="GET",
        url="https://parley.test/users/alice?x=1",
        key_id=KEY_ID,
        private_key_pem=private,
    )
    assert "Digest" not in headers
    assert _verify(headers, body=None, public_pem=public, path="/users/alice?x=1", method="GET")


def test_another_key_does_not_verify() -> None:
    private, _ = shared_keys(0)
    _, other_public = shared_keys(1)
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    assert not _verify(headers, public_pem=other_public)


def test_a_tampered_body_is_refused() -> None:
    private, public = shared_keys(0)
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    with pytest.raises(SignatureError, match="Digest"):
        _verify(headers, body=BODY.replace(b"Follow", b"Block"), public_pem=public)


def test_a_tampered_digest_is_refused() -> None:
    private, public = shared_keys(0)
    other = b"{}"
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    headers["Digest"] = digest_header(other)
    assert not _verify(headers, body=other, public_pem=public)


def test_a_tampered_date_is_refused() -> None:
    private, public = shared_keys(0)
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    headers["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    assert not _verify(headers, public_pem=public)


def test_a_different_host_or_path_is_refused() -> None:
    private, public = shared_keys(0)
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    assert not _verify(headers, public_pem=public, path="/inbox")
    headers["Host"] = "evil.example"
    assert not _verify(headers, public_pem=public)


@pytest.mark.parametrize("age", [timedelta(hours=2), -timedelta(minutes=10)])
def test_stale_or_future_dates_are_refused(age: timedelta) -> None:
    private, public = shared_keys(0)
    then = datetime.now(UTC) - age
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY, now=then
    )
    with pytest.raises(SignatureError):
        _verify(headers, public_pem=public)


def test_missing_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="not signed"):
        signatures.prepare(method="POST", path="/inbox", headers={}, body=BODY)


def test_a_body_without_signed_digest_is_refused() -> None:
    private, public = shared_keys(0)
    headers = sign_request(method="GET", url=URL, key_id=KEY_ID, private_key_pem=private)
    with pytest.raises(SignatureError, match="Digest"):
        _verify(headers, public_pem=public)


def _raw_sign(names: list[str], values: dict[str, str], private_pem: str) -> str:
    """Sign like another implementation would, independent of sign_request."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    text = "\n".join(f"{n}: {values[n]}" for n in names).encode()
    signature = key.sign(text, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    return base64.b64encode(signature).decode()


def test_mastodon_shaped_signature_with_content_type_verifies() -> None:
    """Mastodon signs (request-target) host date digest content-type, algorithm rsa-sha256."""
    private, public = shared_keys(0)
    date = format_datetime(datetime.now(UTC), usegmt=True)
    values = {
        "(request-target)": "post /users/alice/inbox",
        "host": "parley.test",
        "date": date,
        "digest": digest_header(BODY),
        "content-type": "application/activity+json",
    }
    names = list(values)
    signature = _raw_sign(names, values, private)
    headers = {k: v for k, v in values.items() if not k.startswith("(")}
    headers["signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )
    assert _verify(headers, public_pem=public)


def test_gotosocial_shaped_hs2019_signature_verifies() -> None:
    """GoToSocial says algorithm="hs2019" and signs GETs over (request-target) host date."""
    private, public = shared_keys(0)
    values = {
        "(request-target)": "get /users/alice",
        "host": "parley.test",
        "date": format_datetime(datetime.now(UTC), usegmt=True),
    }
    signature = _raw_sign(list(values), values, private)
    headers = {"host": values["host"], "date": values["date"]}
    headers["signature"] = (
        f'keyId="{KEY_ID}",algorithm="hs2019",'
        f'headers="(request-target) host date",signature="{signature}"'
    )
    assert _verify(headers, body=None, public_pem=public, path="/users/alice", method="GET")


def test_unknown_algorithm_is_refused() -> None:
    private, public = shared_keys(0)
    headers = sign_request(
        method="POST", url=URL, key_id=KEY_ID, private_key_pem=private, body=BODY
    )
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "hmac-sha256")
    with pytest.raises(SignatureError, match="algorithm"):
        _verify(headers, public_pem=public)
