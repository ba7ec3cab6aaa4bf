"""RSA key pairs for actors (HTTP Signatures), generated off the event loop."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True, slots=True)
class KeyPair:
    private_pem: str
    public_pem: str


def make_keypair() -> KeyPair:
    """Blocking (tens of ms): async callers use generate_keypair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem)


async def generate_keypair() -> KeyPair:
    return await anyio.to_thread.run_sync(make_keypair)
