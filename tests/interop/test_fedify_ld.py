"""Linked-data signatures made by an independent implementation (Fedify's signJsonLd, an
RsaSignature2017 as Mastodon makes) verified by Parley, alone and through the inbox."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from parley.activitypub.ldsignatures import verify_ld_signature
from parley.domain.federation.models import InboxActivity
from parley.domain.posts.models import Post
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.interop.test_fedify import HERE, _installed
from tests.unit.activitypub.conftest import Remote, fed, remote, worker

pytestmark = pytest.mark.slow
__all__ = ["fed", "remote", "worker"]  # fixtures for this module


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwk(private_pem: str) -> dict[str, str]:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    n = key.private_numbers()
    return {
        "kty": "RSA",
        "alg": "RS256",
        "n": _b64(n.public_numbers.n),
        "e": _b64(n.public_numbers.e),
        "d": _b64(n.d),
        "p": _b64(n.p),
        "q": _b64(n.q),
        "dp": _b64(n.dmp1),
        "dq": _b64(n.dmq1),
        "qi": _b64(n.iqmp),
    }


async def _signed_by_fedify(**env: str) -> dict[str, Any]:
    node = await _installed()
    process = await asyncio.create_subprocess_exec(
        str(node),
        "ldsign.mjs",
        cwd=HERE,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


async def test_a_fedify_ld_signature_verifies_and_a_changed_document_does_not() -> None:
    made = await _signed_by_fedify()
    activity, key = made["activity"], made["publicKeyPem"]
    assert verify_ld_signature(activity, key)

    changed = copy.deepcopy(activity)
    changed["object"]["content"] = "<p>words put in bob's mouth</p>"
    assert not verify_ld_signature(changed, key)

    unknown_context = copy.deepcopy(activity)
    unknown_context["@context"] = [*activity["@context"], "https://evil.example/context"]
    assert not verify_ld_signature(unknown_context, key)  # never fetched: not verifiable

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_pem = other_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert not verify_ld_signature(activity, other_pem)


async def test_a_forward_with_the_authors_ld_signature_is_taken_without_asking_the_origin(
    client: httpx.AsyncClient, remote: Remote, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob")
    carol = remote.actor("carol", host="other.example", key_index=1)
    made = await _signed_by_fedify(ACTOR=bob.uri, PRIVATE_JWK=json.dumps(_jwk(bob.private_pem)))
    activity = made["activity"]
    assert (await remote.deliver(client, activity, carol)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        [content] = list(await session.scalars(select(Post.content_html)))
        row = await session.scalar(select(InboxActivity))
    assert "signed by bob, forwarded by someone else" in content
    assert row is not None
    assert row.activity_id == activity["id"]  # taken as bob's own, not as a forward
    assert row.error is None
    # bob's note is not in remote.documents: the origin was not asked
    assert not any("/statuses/" in r.url.raw_path.decode() for r in remote.requests)
