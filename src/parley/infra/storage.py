"""Where media files live: a local directory (default) or an S3-compatible bucket.

Both stores speak the same small interface and take only keys this instance made
(`attachments/<id>/<token>.webp`); `KEY_RE` is the one definition of a valid key, so a
request path can never name a file outside the store (no `..`, no absolute paths).
Keys under `incoming/` hold raw uploads (metadata intact) and are never served.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio

from parley.config import Settings

KEY_RE = re.compile(
    r"(?:incoming|attachments|avatars|headers|cache)/[0-9]{1,20}/[a-z0-9_]{1,64}(?:\.[a-z0-9]{2,5})?"
)
PUBLIC_PREFIXES = ("attachments/", "avatars/", "headers/", "cache/")
# The only types a stored file is served as; chosen from the extension we gave it.
CONTENT_TYPES = {
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "avif": "image/avif",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
}


class InvalidKey(ValueError):
    pass


def make_key(prefix: str, owner_id: int, name: str, ext: str = "") -> str:
    """A fresh key with an unguessable part, so URLs cannot be enumerated."""
    key = f"{prefix}/{owner_id}/{name}_{secrets.token_hex(8)}" + (f".{ext}" if ext else "")
    check_key(key)
    return key


def check_key(key: str) -> str:
    if not KEY_RE.fullmatch(key):
        raise InvalidKey(f"not a media key: {key!r}")
    return key


def is_public(key: str) -> bool:
    return KEY_RE.fullmatch(key) is not None and key.startswith(PUBLIC_PREFIXES)


def content_type_of(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def key_of_url(store: MediaStore, url: str | None) -> str | None:
    """The key behind one of this store's URLs (None for any other URL)."""
    prefix = store.url("avatars/0/x").removesuffix("avatars/0/x")
    if not url or not url.startswith(prefix):
        return None
    key = url[len(prefix) :]
    return key if is_public(key) else None


class MediaStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


@dataclass(frozen=True, slots=True)
class LocalStore:
    root: Path
    base_url: str  # where /media/... is served, e.g. https://example.org/media

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a file.
            temp = path.with_name(path.name + ".part")
            temp.write_bytes(data)
            os.replace(temp, path)

        await anyio.to_thread.run_sync(write)

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await anyio.Path(path).read_bytes()
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await anyio.Path(self._path(key)).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{check_key(key)}"


class S3Store:
    """An S3-compatible bucket. boto3 is synchronous; each call runs in a worker thread."""

    def __init__(self, *, bucket: str, base_url: str, client: Any) -> None:
        self.bucket = bucket
        self.base_url = base_url
        self.client = client

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await anyio.to_thread.run_sync(
            functools.partial(
                self.client.put_object,
                Bucket=self.bucket,
                Key=check_key(key),
                Body=data,
                ContentType=content_type,
                # The bucket serves with the same protections as the local route.
                ContentDisposition="inline"
                if content_type.startswith(("image/", "video/"))
                else "attachment",
            )
        )

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
            except self.client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await anyio.to_thread.run_sync(read)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            functools.partial(self.client.delete_object, Bucket=self.bucket, Key=check_key(key))
        )

    def url(self, key: str) -> str:
        return f"{self.base_url}/{check_key(key)}"


def _s3_client(endpoint: str | None, region: str, access: str | None, secret: str | None) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
    )


_clients: dict[tuple[str | None, str, str | None], Any] = {}


def open_store(settings: Settings) -> MediaStore:
    """The store `settings` describe; S3 clients are made once per endpoint and reused."""
    if settings.s3_bucket:
        base = settings.media_base_url or (
            f"{(settings.s3_endpoint_url or '').rstrip('/')}/{settings.s3_bucket}"
        )
        cache_key = (settings.s3_endpoint_url, settings.s3_region, settings.s3_access_key)
        if cache_key not in _clients:
            _clients[cache_key] = _s3_client(
                settings.s3_endpoint_url,
                settings.s3_region,
                settings.s3_access_key,
                settings.s3_secret_key,
            )
        return S3Store(bucket=settings.s3_bucket, base_url=base, client=_clients[cache_key])
    base = settings.media_base_url or f"{settings.base_url}/media"
    return LocalStore(root=settings.media_dir, base_url=base)
