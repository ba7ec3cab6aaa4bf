"""Commands on media: upload, process, describe, attach to a post, expire.

An upload is checked at once (size, sniffed type, readable header, pixel count), so bad
input gets its error in the request and nothing is stored. Small still images are processed
in the request; video, animations and big images are stored raw under a private key and
processed by the `media.process` job, which the worker retries if it dies midway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.db.ids import new_id
from parley.domain.errors import Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.media import processing
from parley.domain.media.checks import Limits as Limits
from parley.domain.media.checks import check_description, check_upload
from parley.domain.media.checks import parse_focus as parse_focus
from parley.domain.media.models import MediaAttachment, MediaKind, MediaState
from parley.domain.media.processing import MediaError, Processed
from parley.infra.storage import MediaStore, key_of_url, make_key
from parley.jobs.queue import enqueue

PROCESS_JOB = "media.process"
EXPIRE_JOB = "media.expire"
MAX_ATTACHMENTS = 4
SYNC_MAX_BYTES = 1024 * 1024  # still images up to this size are processed in the request
UNATTACHED_TTL = timedelta(hours=24)
NOT_FOUND = "Record not found"


async def run_processing(data: bytes, kind: str) -> Processed:
    if kind == MediaKind.IMAGE:
        return await anyio.to_thread.run_sync(processing.process_image, data)
    return await processing.process_video(data, gifv=kind == MediaKind.GIFV)


@dataclass(frozen=True, slots=True)
class StoredResult:
    result: Processed
    file_key: str
    small_key: str


async def store_result(store: MediaStore, media_id: int, result: Processed) -> StoredResult:
    """Write the processed files; a failure halfway leaves none behind."""
    still = result.duration is None and not result.animated
    file_key = make_key("attachments", media_id, "original", result.ext)
    small_key = make_key("attachments", media_id, "small", result.ext if still else "jpg")
    await store.put(file_key, result.data, result.content_type)
    try:
        small_type = result.content_type if still else "image/jpeg"
        await store.put(small_key, result.small, small_type)
    except Exception:
        await store.delete(file_key)
        raise
    return StoredResult(result, file_key, small_key)


def apply_result(media: MediaAttachment, stored: StoredResult) -> None:
    result = stored.result
    media.file_key, media.small_key = stored.file_key, stored.small_key
    media.content_type = result.content_type
    media.size = len(result.data)
    media.width, media.height = result.width, result.height
    media.small_width, media.small_height = result.small_width, result.small_height
    media.duration = result.duration
    media.blurhash = result.blurhash
    media.state = MediaState.READY


async def upload_media(
    session: AsyncSession,
    store: MediaStore,
    limits: Limits,
    *,
    account_id: int,
    data: bytes,
    description: str = "",
    focus: str | None = None,
    synchronous: bool = False,
) -> MediaAttachment:
    """Accept an upload. `synchronous` processes everything now (v1 API, web forms)."""
    description = check_description(description)
    point = parse_focus(focus) or (0.0, 0.0)
    kind, _sniffed = await check_upload(data, limits)
    media = MediaAttachment(
        id=new_id(),
        account_id=account_id,
        kind=kind,
        description=description,
        focus_x=point[0],
        focus_y=point[1],
    )
    inline = synchronous or (kind == MediaKind.IMAGE and len(data) <= SYNC_MAX_BYTES)
    if inline:
        try:
            result = await run_processing(data, kind)
        except MediaError as exc:
            raise Invalid("file", str(exc)) from exc
        apply_result(media, await store_result(store, media.id, result))
    else:
        media.incoming_key = make_key("incoming", media.id, "upload")
        await store.put(media.incoming_key, data, "application/octet-stream")
    session.add(media)
    await session.flush()
    if not inline:
        await enqueue(session, PROCESS_JOB, {"media_id": media.id})
    await enqueue(session, EXPIRE_JOB, {"media_id": media.id}, run_at=utcnow() + UNATTACHED_TTL)
    return media


async def process_pending(db: Database, store: MediaStore, media_id: int) -> None:
    """The `media.process` job. Processing (seconds to minutes for video) runs outside any
    database transaction; the outcome is written only if the upload is still waiting for
    it, so a retried or duplicated job finishes the work or does nothing."""
    async with db.reader() as session:
        media = await session.get(MediaAttachment, media_id)
        if media is None or media.state != MediaState.PROCESSING or media.incoming_key is None:
            return
        incoming, kind = media.incoming_key, media.kind
    data = await store.get(incoming)
    stored: StoredResult | None = None
    error = "The upload was lost"
    if data is not None:
        try:
            stored = await store_result(store, media_id, await run_processing(data, kind))
        except MediaError as exc:
            error = str(exc)[:300]
    async with db.transaction() as session:
        media = await session.get(MediaAttachment, media_id)
        if media is None or media.state != MediaState.PROCESSING:
            if stored is not None:  # deleted or finished meanwhile: keep nothing of ours
                await discard_keys(store, [stored.file_key, stored.small_key])
            return
        if stored is not None:
            apply_result(media, stored)
        else:
            media.state, media.error = MediaState.FAILED, error
        media.incoming_key = None
        if media.post_id is not None and stored is not None:
            # Posted from the web while still processing: followers' servers and open
            # streams learn of the finished file as an edit of the post.
            await record(session, Event.POST_EDITED, post_id=media.post_id)
    await store.delete(incoming)


async def get_own_media(
    session: AsyncSession, *, account_id: int, media_id: int
) -> MediaAttachment:
    media = await session.get(MediaAttachment, media_id)
    if media is None or media.account_id != account_id or media.remote_url is not None:
        raise NotFound(NOT_FOUND)
    return media


async def update_media(
    session: AsyncSession,
    *,
    account_id: int,
    media_id: int,
    description: str | None = None,
    focus: str | None = None,
) -> MediaAttachment:
    media = await get_own_media(session, account_id=account_id, media_id=media_id)
    if description is not None:
        media.description = check_description(description)
    point = parse_focus(focus)
    if point is not None:
        media.focus_x, media.focus_y = point
    await session.flush()
    return media


async def attach_media(
    session: AsyncSession,
    *,
    account_id: int,
    post_id: int,
    media_ids: list[int],
    allow_processing: bool = False,
    require_description: bool = False,
) -> list[MediaAttachment]:
    """Make `media_ids` (in that order) the post's attachments; others it had are let go.

    Only the author's own uploads, unattached or already this post's. The web form attaches
    video still processing; API clients wait for it, as Mastodon requires.
    """
    media_ids = list(dict.fromkeys(media_ids))
    if len(media_ids) > MAX_ATTACHMENTS:
        raise Invalid("media_ids", f"A post can have at most {MAX_ATTACHMENTS} attachments")
    found = (
        {
            m.id: m
            for m in await session.scalars(
                select(MediaAttachment).where(MediaAttachment.id.in_(media_ids))
            )
        }
        if media_ids
        else {}
    )
    for media_id in media_ids:
        media = found.get(media_id)
        if (
            media is None
            or media.account_id != account_id
            or media.remote_url is not None
            or media.post_id not in (None, post_id)
        ):
            raise Invalid("media_ids", "Media not found or not yours to attach")
        if require_description and not media.description:
            raise Invalid("media_ids", "Every attachment needs a description (your settings)")
        if media.state == MediaState.FAILED or (
            media.state == MediaState.PROCESSING and not allow_processing
        ):
            raise Invalid(
                "media_ids",
                "Cannot attach files that have not finished processing. Try again in a moment!",
            )
    await session.execute(
        update(MediaAttachment)
        .where(MediaAttachment.post_id == post_id, MediaAttachment.id.not_in(media_ids))
        .values(post_id=None)
        .execution_options(synchronize_session=False)
    )
    for position, media_id in enumerate(media_ids):
        found[media_id].post_id = post_id
        found[media_id].position = position
    await session.flush()
    return [found[m] for m in media_ids]


async def remove_media(session: AsyncSession, store: MediaStore, media: MediaAttachment) -> None:
    await discard_keys(store, [media.file_key, media.small_key, media.incoming_key])
    await session.delete(media)
    await session.flush()


async def delete_own_media(
    session: AsyncSession, store: MediaStore, *, account_id: int, media_id: int
) -> None:
    media = await get_own_media(session, account_id=account_id, media_id=media_id)
    if media.post_id is not None:
        raise Invalid("id", "Media attachment is currently used by a status")
    await remove_media(session, store, media)


async def forget_account_media(
    session: AsyncSession, store: MediaStore, *, account_id: int, urls: list[str | None]
) -> None:
    """A deleted account's uploads and profile pictures (`urls`), rows and files."""
    for media in (
        await session.scalars(
            select(MediaAttachment).where(
                MediaAttachment.account_id == account_id, MediaAttachment.remote_url.is_(None)
            )
        )
    ).all():
        await remove_media(session, store, media)
    await discard_keys(store, [key_of_url(store, url) for url in urls])


async def expire_upload(session: AsyncSession, store: MediaStore, media_id: int) -> bool:
    """The `media.expire` job: an upload still unattached a day later is deleted."""
    media = await session.get(MediaAttachment, media_id)
    if media is None or media.post_id is not None or media.remote_url is not None:
        return False
    await remove_media(session, store, media)
    return True


async def prune_unattached(session: AsyncSession, store: MediaStore) -> int:
    """Every local upload unattached for over a day (also those of deleted posts)."""
    stale = await session.scalars(
        select(MediaAttachment).where(
            MediaAttachment.post_id.is_(None),
            MediaAttachment.remote_url.is_(None),
            MediaAttachment.created_at < utcnow() - UNATTACHED_TTL,
        )
    )
    count = 0
    for media in stale.all():
        await remove_media(session, store, media)
        count += 1
    return count


async def store_profile_image(
    store: MediaStore, limits: Limits, *, account_id: int, data: bytes, slot: str
) -> str:
    """An avatar or header: a still image, stripped and resized now; returns its key."""
    try:
        kind, _ = await check_upload(data, limits)
    except Invalid as exc:
        raise Invalid(slot, exc.message) from exc
    if kind != MediaKind.IMAGE:
        raise Invalid(slot, "Only still images (JPEG, PNG, WebP, GIF) can be used here")
    side = 400 if slot == "avatar" else 1500
    try:
        result = await anyio.to_thread.run_sync(
            lambda: processing.process_image(data, max_side=side)
        )
    except MediaError as exc:
        raise Invalid(slot, str(exc)) from exc
    key = make_key(f"{slot}s", account_id, slot, result.ext)
    await store.put(key, result.data, result.content_type)
    return key


async def discard_keys(store: MediaStore, keys: list[str | None]) -> None:
    for key in keys:
        if key:
            await store.delete(key)


async def discard_files(store: MediaStore, uploads: list[MediaAttachment]) -> None:
    """Undo the files of uploads whose transaction failed (their rows rolled back)."""
    for media in uploads:
        await discard_keys(store, [media.file_key, media.small_key, media.incoming_key])
