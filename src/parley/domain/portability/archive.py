"""A member's archive: their posts, upvotes, bookmarks and media as ActivityPub JSON in a
zip laid out like Mastodon's (actor.json, outbox.json, likes.json, bookmarks.json,
media_attachments/files/...), and bringing such an archive's posts in.

Export streams: the zip is written to a small buffer that is handed out entry by entry and
page by page, so a member with years of posts downloads it without the server holding it.
Every post the member wrote is included, followers-only and mentioned-only ones too: the
archive is theirs alone (the web route serves it to the signed-in member only).

Import keeps the member's history without pretending it is new: posts get their original
dates (and ids that sort by them), show on the profile, and are not put in followers' home
timelines, not notified, and not sent to other servers as new Create activities (followers
would see a flood of old posts as new; remote servers can still fetch each one by its URI).
Mentioned-only posts are left out: they were conversations with people of another server.
Replies to the member's own archived posts keep their thread; other replies stand alone.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.db.ids import new_id
from parley.domain import identity
from parley.domain.accounts.models import Account
from parley.domain.context import DomainContext
from parley.domain.errors import DomainError, Invalid
from parley.domain.interactions.models import Bookmark, Upvote
from parley.domain.media import service as media
from parley.domain.media.checks import Limits
from parley.domain.media.models import MediaAttachment
from parley.domain.portability.codec import ArchiveCodec, ArchivedPost
from parley.domain.portability.imports import IMPORT_JOB, check_pending
from parley.domain.portability.models import AccountImport, ImportMode, ImportState
from parley.domain.portability.queries import find_moved_to
from parley.domain.posts.models import Post, Visibility
from parley.infra.storage import MediaStore, key_of_url, make_key
from parley.jobs.queue import enqueue

log = logging.getLogger(__name__)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PAGE = 200
POSTS_KIND = "posts"
MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
MAX_OUTBOX_BYTES = 50 * 1024 * 1024
MAX_POSTS = 20_000
IMPORT_BATCH = 20
MEDIA_DIR = "media_attachments/files/"


class _Sink:
    """A write-only file for zipfile that hands out what was written so far."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes, /) -> int:
        self._chunks.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def _collection(name: str, items: list[str]) -> bytes:
    return orjson.dumps(
        {
            "@context": AS_CONTEXT,
            "id": name,
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


def _archive_path(file_key: str) -> str:
    return MEDIA_DIR + file_key.split("/", 1)[1]


def _point_media_inside(activity: dict[str, Any], files: dict[str, str]) -> None:
    """Attachment URLs of our store become the files' paths inside the archive."""
    note = activity.get("object")
    for item in note.get("attachment", []) if isinstance(note, dict) else []:
        path = files.get(str(item.get("url")))
        if path is not None:
            item["url"] = "/" + path


def _codec(ctx: DomainContext) -> ArchiveCodec:
    if ctx.archive_codec is None:
        raise Invalid(None, "Archives are not available on this server")
    return ctx.archive_codec


async def _own_posts_page(session: AsyncSession, account_id: int, before: int | None) -> list[Post]:
    query = select(Post).where(Post.account_id == account_id, Post.echo_of_id.is_(None))
    if before is not None:
        query = query.where(Post.id < before)
    return list(await session.scalars(query.order_by(Post.id.desc()).limit(PAGE)))


async def _uris(
    session: AsyncSession, model: type[Upvote] | type[Bookmark], account_id: int
) -> list[str]:
    rows = await session.scalars(
        select(Post.uri)
        .join(model, model.post_id == Post.id)
        .where(model.account_id == account_id)
        .order_by(model.id.desc())
    )
    return list(rows)


async def stream_archive(
    db: Database, ctx: DomainContext, store: MediaStore, *, account_id: int
) -> AsyncIterator[bytes]:
    """The member's archive as zip bytes, in chunks."""
    codec = _codec(ctx)
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    async with db.reader() as session:
        account = await session.get(Account, account_id)
        if account is None:
            return
        moved_to = await find_moved_to(session, account)
        actor = codec.render_actor(account, moved_to_uri=moved_to.uri if moved_to else None)
        total = await session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.account_id == account_id, Post.echo_of_id.is_(None))
        )
    for field, name in (("icon", "avatar"), ("image", "header")):
        # As in Mastodon's archive, the pictures travel in the zip beside actor.json.
        key = key_of_url(store, (actor.get(field) or {}).get("url"))
        data = None if key is None else await store.get(key)
        if key is not None and data is not None:
            path = f"{name}.{key.rsplit('.', 1)[-1]}"
            archive.writestr(path, data, compress_type=zipfile.ZIP_STORED)
            actor[field] = {**actor[field], "url": path}
    archive.writestr("actor.json", orjson.dumps(actor))
    yield sink.take()
    files: dict[str, str] = {}  # our URL -> path in the archive
    keys: list[tuple[str, str]] = []
    with archive.open("outbox.json", "w", force_zip64=True) as entry:
        head = orjson.dumps(
            {"@context": AS_CONTEXT, "id": "outbox.json", "type": "OrderedCollection"}
        )
        entry.write(head[:-1] + b',"totalItems":%d,"orderedItems":[' % (total or 0))
        before: int | None = None
        first = True
        while True:
            async with db.reader() as session:
                page = await _own_posts_page(session, account_id, before)
                attached = await session.scalars(
                    select(MediaAttachment).where(
                        MediaAttachment.post_id.in_([p.id for p in page]),
                        MediaAttachment.file_key.is_not(None),
                    )
                )
                for item in attached:
                    assert item.file_key is not None
                    files[f"{ctx.base_url}/media/{item.file_key}"] = _archive_path(item.file_key)
                    keys.append((_archive_path(item.file_key), item.file_key))
                rendered = await codec.render_creates(session, page)
            for activity in rendered:
                _point_media_inside(activity, files)
                entry.write((b"" if first else b",") + orjson.dumps(activity))
                first = False
            yield sink.take()
            if len(page) < PAGE:
                break
            before = page[-1].id
        entry.write(b"]}")
    yield sink.take()
    async with db.reader() as session:
        likes = await _uris(session, Upvote, account_id)
        bookmarks = await _uris(session, Bookmark, account_id)
    archive.writestr("likes.json", _collection("likes.json", likes))
    archive.writestr("bookmarks.json", _collection("bookmarks.json", bookmarks))
    yield sink.take()
    for path, key in keys:
        data = await store.get(key)
        if data is not None:
            archive.writestr(path, data, compress_type=zipfile.ZIP_STORED)
            yield sink.take()
    archive.close()
    yield sink.take()


@dataclass(slots=True)
class ReadArchive:
    posts: list[ArchivedPost]
    skipped: int
    files: zipfile.ZipFile | None

    def file(self, path: str, limit: int) -> bytes | None:
        """A media file of the archive (None when absent or larger than `limit`)."""
        if self.files is None:
            return None
        try:
            info = self.files.getinfo(path)
        except KeyError:
            return None
        if info.file_size > limit:
            return None
        return self.files.read(info)


def _outbox_bytes(data: bytes) -> tuple[bytes, zipfile.ZipFile | None]:
    if not data.startswith(b"PK"):
        return data, None
    try:
        files = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in files.namelist() if n.rsplit("/", 1)[-1] == "outbox.json"]
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid("archive", "The file is not a readable zip archive") from exc
    if not names:
        raise Invalid("archive", "The archive has no outbox.json")
    info = files.getinfo(min(names, key=len))
    if info.file_size > MAX_OUTBOX_BYTES:
        raise Invalid("archive", "The archive's outbox.json is too large")
    try:
        return files.read(info), files
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise Invalid("archive", "The archive's outbox.json cannot be read") from exc


def read_archive(codec: ArchiveCodec, data: bytes) -> ReadArchive:
    """The posts of an archive (a zip or its outbox.json); Invalid("archive") if any is bad."""
    if not data:
        raise Invalid("archive", "The file is empty")
    if len(data) > MAX_ARCHIVE_BYTES:
        raise Invalid("archive", f"The archive is larger than {MAX_ARCHIVE_BYTES // 2**20} MB")
    raw, files = _outbox_bytes(data)
    try:
        outbox = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid("archive", "outbox.json is not JSON") from exc
    items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
    if not isinstance(items, list) or outbox.get("type") not in ("OrderedCollection", "Collection"):
        raise Invalid("archive", "outbox.json is not an ActivityPub outbox (OrderedCollection)")
    posts, skipped = [], 0
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Invalid("archive", f"Item {number} of the outbox is not an activity")
        try:
            post = codec.parse_note(item)
        except ValueError as exc:
            raise Invalid("archive", f"Item {number} of the outbox: {exc}") from exc
        if post is None or post.visibility == Visibility.MENTIONED:
            skipped += 1
            continue
        posts.append(post)
    if len(posts) > MAX_POSTS:
        raise Invalid("archive", f"The archive has more than {MAX_POSTS} posts")
    # Oldest first, so parents come before their replies; outboxes list newest first, so
    # reversing first keeps posts of the same second in the order they were written.
    posts.reverse()
    posts.sort(key=lambda p: p.published)
    return ReadArchive(posts=posts, skipped=skipped, files=files)


async def start_archive_import(
    session: AsyncSession,
    ctx: DomainContext,
    store: MediaStore,
    *,
    account: Account,
    data: bytes,
    file_name: str,
) -> AccountImport:
    """Check the whole archive now; if it is good, keep it (never served) for the job."""
    found = read_archive(_codec(ctx), data)
    await check_pending(session, account.id)
    key = make_key("incoming", account.id, "archive", "zip" if found.files else "json")
    await store.put(key, data, "application/octet-stream")
    task = AccountImport(
        account_id=account.id,
        kind=POSTS_KIND,
        mode=ImportMode.MERGE,
        file_name=file_name[:200],
        archive_key=key,
        total=len(found.posts),
    )
    session.add(task)
    await session.flush()
    await enqueue(session, IMPORT_JOB, {"import_id": task.id})
    return task


async def run_archive_import(
    db: Database, ctx: DomainContext, store: MediaStore, import_id: int
) -> None:
    """The import job for an archive: posts in batches, each committed with the progress."""
    async with db.reader() as session:
        task = await session.get(AccountImport, import_id)
    if task is None or task.state != ImportState.QUEUED or task.archive_key is None:
        return
    data = await store.get(task.archive_key)
    if data is None:
        async with db.transaction() as session:
            stored = await session.get(AccountImport, import_id)
            if stored is not None:
                stored.state, stored.error = ImportState.FAILED, "the archive file is gone"
        return
    found = read_archive(_codec(ctx), data)
    limits = Limits.from_settings(ctx.settings)
    start = task.processed
    while start < len(found.posts):
        batch = found.posts[start : start + IMPORT_BATCH]
        async with db.transaction() as session:
            stored = await session.get(AccountImport, import_id)
            owner = await session.get(Account, task.account_id)
            if stored is None or owner is None or stored.processed != start:
                return
            # Old URI -> new post id, kept in `rows` so a retried job keeps threads.
            threads = {r["uri"]: int(r["id"]) for r in stored.rows}
            made = []
            for archived in batch:
                post = await _insert_post(session, ctx, owner, archived, threads)
                problems = await _attach(session, store, limits, owner, post, archived, found)
                made.append({"uri": archived.uri, "id": post.id})
                threads[archived.uri] = post.id
                stored.failures = [*(stored.failures or []), *problems][:200]
            owner.posts_count += len(batch)
            stored.rows = [*stored.rows, *made]
            stored.imported += len(batch)
            start += len(batch)
            stored.processed = start
    async with db.transaction() as session:
        stored = await session.get(AccountImport, import_id)
        if stored is not None:
            stored.state, stored.finished_at = ImportState.DONE, utcnow()
            stored.rows = []
    await store.delete(task.archive_key)


async def _insert_post(
    session: AsyncSession,
    ctx: DomainContext,
    owner: Account,
    archived: ArchivedPost,
    threads: dict[str, int],
) -> Post:
    """The post as it was, under this account; no fan-out, no notification, no event."""
    post_id = new_id(at_ms=int(archived.published.timestamp() * 1000))
    parent = None
    if archived.in_reply_to in threads:
        parent = await session.get(Post, threads[archived.in_reply_to])
    post = Post(
        id=post_id,
        account_id=owner.id,
        local=True,
        uri=identity.post_uri(ctx.base_url, owner.username, post_id),
        url=identity.post_url(ctx.base_url, owner.username, post_id),
        text=archived.text,
        content_html=archived.content_html,
        spoiler_text=archived.spoiler_text[:1000],
        sensitive=archived.sensitive,
        visibility=archived.visibility,
        language=archived.language,
        in_reply_to_id=None if parent is None else parent.id,
        in_reply_to_account_id=None if parent is None else owner.id,
        thread_id=post_id if parent is None else (parent.thread_id or parent.id),
        created_at=archived.published,
    )
    session.add(post)
    await session.flush()
    if parent is not None:
        parent.replies_count += 1
    return post


async def _attach(
    session: AsyncSession,
    store: MediaStore,
    limits: Limits,
    owner: Account,
    post: Post,
    archived: ArchivedPost,
    found: ReadArchive,
) -> list[str]:
    """Store and attach the post's files from the archive; what could not be, as failures."""
    problems = []
    for position, item in enumerate(archived.media):
        data = found.file(item.path, max(limits.image_bytes, limits.video_bytes))
        if data is None:
            problems.append(f"{archived.uri}: {item.path} is missing or too large")
            continue
        try:
            upload = await media.upload_media(
                session,
                store,
                limits,
                account_id=owner.id,
                data=data,
                description=item.description,
                synchronous=True,
            )
        except DomainError as exc:
            problems.append(f"{archived.uri}: {item.path}: {exc.message}")
            continue
        upload.post_id, upload.position = post.id, position
        post.has_media = True
    await session.flush()
    return problems
