"""Media described by other servers: stored as metadata, fetched once when first viewed.

Readers never load a stranger's server directly (it would learn their addresses); the copy
is fetched through the SSRF-guarded client with a size limit, its type sniffed from the
bytes, and kept until `parley media prune` drops copies older than N days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.errors import NotFound
from parley.domain.media import processing
from parley.domain.media.models import MAX_DESCRIPTION, MediaAttachment, MediaKind, MediaState
from parley.domain.media.service import MAX_ATTACHMENTS
from parley.infra import http
from parley.infra.storage import MediaStore, make_key, open_store

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/quicktime": "mp4",
    "video/webm": "webm",
}
KINDS = {"Image": MediaKind.IMAGE, "Video": MediaKind.VIDEO, "Audio": MediaKind.AUDIO}


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    url: str
    media_type: str = ""
    ap_type: str = "Document"
    description: str = ""
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] = (0.0, 0.0)


def kind_of(item: RemoteMedia) -> str:
    if item.ap_type in KINDS:
        return KINDS[item.ap_type]
    major = item.media_type.split("/", 1)[0]
    return {"image": MediaKind.IMAGE, "video": MediaKind.VIDEO, "audio": MediaKind.AUDIO}.get(
        major, MediaKind.UNKNOWN
    )


async def remote_urls(session: AsyncSession, post_id: int) -> list[str]:
    rows = await session.scalars(
        select(MediaAttachment.remote_url)
        .where(MediaAttachment.post_id == post_id, MediaAttachment.remote_url.is_not(None))
        .order_by(MediaAttachment.position)
    )
    return [url for url in rows if url is not None]


async def replace_remote_attachments(
    session: AsyncSession, *, account_id: int, post_id: int, items: list[RemoteMedia]
) -> int:
    """The remote post's attachments as rows (kept URLs, no file yet); returns how many."""
    old = await session.scalars(select(MediaAttachment).where(MediaAttachment.post_id == post_id))
    for media in old.all():
        await session.delete(media)
    items = [i for i in items if i.url.startswith(("https://", "http://"))][:MAX_ATTACHMENTS]
    for position, item in enumerate(items):
        session.add(
            MediaAttachment(
                id=new_id(),
                account_id=account_id,
                post_id=post_id,
                position=position,
                kind=kind_of(item),
                state=MediaState.READY,
                content_type=item.media_type[:100] or None,
                width=item.width,
                height=item.height,
                blurhash=(item.blurhash or None) and item.blurhash[:100],
                focus_x=item.focus[0],
                focus_y=item.focus[1],
                description=item.description[:MAX_DESCRIPTION],
                remote_url=item.url,
            )
        )
    await session.flush()
    return len(items)


async def cached_copy(
    session: AsyncSession,
    settings: Settings,
    *,
    media_id: int,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: http.Resolver | None = None,
) -> tuple[bytes, str]:
    """The remote file's bytes and sniffed type, fetched and stored on first request."""
    media = await session.get(MediaAttachment, media_id)
    if media is None or media.remote_url is None:
        raise NotFound("Record not found")
    store = open_store(settings)
    if media.file_key is not None:
        data = await store.get(media.file_key)
        if data is not None and media.content_type:
            return data, media.content_type
    client = http.build_client(
        allow_insecure=settings.federation_allow_insecure,
        user_agent=f"Parley (+{settings.base_url}/)",
        transport=transport,
        resolver=resolver,
    )
    try:
        async with client:
            fetched = await http.fetch(
                client, media.remote_url, limit=settings.media_remote_max_bytes
            )
    except http.HttpError as exc:
        raise NotFound("The remote file is not available") from exc
    content_type = processing.sniff(fetched.body[:32])
    if fetched.status != 200 or content_type not in EXTENSIONS:
        raise NotFound("The remote file is not available")
    key = make_key("cache", media.id, "remote", EXTENSIONS[content_type])
    await store.put(key, fetched.body, content_type)
    if media.file_key is not None:
        await store.delete(media.file_key)
    media.file_key, media.content_type = key, content_type
    media.size, media.cached_at = len(fetched.body), utcnow()
    return fetched.body, content_type


async def prune_cache(session: AsyncSession, store: MediaStore, *, older_than_days: int) -> int:
    """Drop cached copies of remote files fetched more than `older_than_days` ago."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    stale = await session.scalars(
        select(MediaAttachment).where(
            MediaAttachment.remote_url.is_not(None),
            MediaAttachment.file_key.is_not(None),
            MediaAttachment.cached_at < cutoff,
        )
    )
    count = 0
    for media in stale.all():
        if media.file_key:
            await store.delete(media.file_key)
        media.file_key, media.cached_at = None, None
        count += 1
    return count
