"""`parley mirror DIR`: plan every file of the static copy, write the changed ones, remove the
gone ones, remember what was written.

Each output file gets a fingerprint of everything it shows (post and account stamps, the
thread around a post, the site's name, the templates). Only files whose fingerprint changed
or that are missing are rendered, so a re-run after one new parley writes its page, its
author's newest pages and feeds, its thread's pages and the front page, and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.accounts.models import Account
from parley.domain.instance.service import get_instance_info
from parley.domain.posts.views import PostView
from parley.infra.storage import MediaStore, is_public, key_of_url, open_store
from parley.web.mirror import feeds
from parley.web.mirror.manifest import (
    Manifest,
    open_target,
    remove_file,
    safe_path,
    save_manifest,
    write_atomic,
)
from parley.web.mirror.pages import (
    PAGE_SIZE,
    Links,
    PageRenderer,
    build_pages_environment,
    page_path,
    post_path,
    profile_dir,
)
from parley.web.mirror.source import PostRow, Snapshot, digest, load_views, read_snapshot
from parley.web.templating import TEMPLATES

STATIC = Path(__file__).parent.parent / "static"
INDEX_SIZE = 20
BATCH = 200
SAVE_EVERY = 15.0  # seconds between manifest saves during a long run

ProgressHook = Callable[[int], None]  # called with how many files were just handled


@dataclass(slots=True)
class Job:
    path: str
    fingerprint: str
    kind: str  # post, profile, feed, index, local-feed, static, media
    args: dict[str, Any] = field(default_factory=dict)
    posts: list[int] = field(default_factory=list)  # the views it needs


@dataclass(slots=True)
class MirrorResult:
    written: list[str]
    removed: list[str]
    unchanged: int
    seconds: float


class Planner:
    """Turns a snapshot into the list of files the mirror should hold."""

    def __init__(self, snapshot: Snapshot, base: str, store: MediaStore) -> None:
        self.s = snapshot
        self.base = base
        self.store = store
        self.profiles = {a.id: a for a in snapshot.profiles}

    def key(self, post_id: int) -> tuple[Any, ...]:
        """What a listed post contributes to a page's fingerprint."""
        row = self.s.posts[post_id]
        quote = self.s.posts.get(row.quote_of_id) if row.quote_of_id is not None else None
        return (
            row.id,
            row.stamp,
            self.s.account_stamps.get(row.account_id),
            None if quote is None else (quote.stamp, self.s.account_stamps.get(quote.account_id)),
            row.account_id in self.profiles,
        )

    def jobs(self) -> Iterator[Job]:
        yield from self._static()
        local = self.s.local_posts()
        newest = sorted(local, key=lambda p: p.id, reverse=True)
        front = [p.id for p in newest[:INDEX_SIZE]]
        profiles = [(a.id, self.s.account_stamps[a.id]) for a in self.s.profiles]
        yield Job(
            "index.html",
            digest(self.base, profiles, [self.key(i) for i in front]),
            "index",
            posts=front,
        )
        silenced = {a.id for a in self.s.profiles if a.silenced_at is not None}
        timeline = [p.id for p in newest if p.account_id not in silenced][: feeds.FEED_SIZE]
        for ext in ("rss", "atom"):
            yield Job(
                f"feeds/local.{ext}",
                digest(self.base, [self.key(i) for i in timeline]),
                "local-feed",
                {"ext": ext},
                timeline,
            )
        for account in self.s.profiles:
            yield from self._profile(account)
        for row in local:
            yield from self._post(row)

    def _static(self) -> Iterator[Job]:
        css = (STATIC / "parley.css").read_bytes()
        yield Job("static/parley.css", digest(css.decode()), "static", {"data": css})
        keys: set[str] = set()
        for account in self.s.profiles:
            for url in (account.avatar_url, account.header_url):
                key = key_of_url(self.store, url)
                if key is not None:
                    keys.add(key)
        for row in self.s.local_posts():
            keys.update(k for k in self.s.media_keys.get(row.id, []) if is_public(k))
        for key in sorted(keys):
            yield Job(f"media/{key}", key, "media", {"key": key})

    def _profile(self, account: Account) -> Iterator[Job]:
        ids = self.s.by_author.get(account.id, [])  # oldest first
        stamp = self.s.account_stamps[account.id]
        pages = [ids[i : i + PAGE_SIZE] for i in range(0, len(ids), PAGE_SIZE)]
        newest = list(reversed(ids[-PAGE_SIZE:]))
        # "Older" from the front page: the archive page holding the first post not shown.
        older_index = len(ids) - PAGE_SIZE - 1
        older = older_index // PAGE_SIZE + 1 if older_index >= 0 else None
        common = {"account": account, "total": len(ids)}
        yield Job(
            page_path(account, None),
            digest(self.base, stamp, len(ids), older, [self.key(i) for i in newest]),
            "profile",
            {**common, "number": None, "older": older, "newer": None},
            newest,
        )
        if len(pages) > 1:
            for number, chunk in enumerate(pages, start=1):
                shown = list(reversed(chunk))
                newer = None if number == len(pages) else number + 1
                page_older = number - 1 or None
                yield Job(
                    page_path(account, number),
                    digest(
                        self.base,
                        stamp,
                        number,
                        newer,
                        page_older,
                        [self.key(i) for i in shown],
                    ),
                    "profile",
                    # No total on archive pages: a new post must not change them all.
                    {
                        **common,
                        "total": None,
                        "number": number,
                        "older": page_older,
                        "newer": newer or 0,
                    },
                    shown,
                )
        latest = list(reversed(ids[-feeds.FEED_SIZE :]))
        for ext in ("rss", "atom"):
            yield Job(
                f"{profile_dir(account)}/feed.{ext}",
                digest(self.base, stamp, [self.key(i) for i in latest]),
                "feed",
                {"ext": ext, "account": account},
                latest,
            )

    def _post(self, row: PostRow) -> Iterator[Job]:
        ancestors = [a.id for a in self.s.ancestors(row)]
        replies = [(d.id, depth) for d, depth in self.s.descendants(row)]
        yield Job(
            post_path(row.id),
            digest(
                self.base,
                self.key(row.id),
                [self.key(i) for i in ancestors],
                [(self.key(i), depth) for i, depth in replies],
            ),
            "post",
            {"ancestors": ancestors, "replies": replies},
            [row.id, *ancestors, *(i for i, _ in replies)],
        )


def templates_stamp() -> str:
    """Changes when the mirror's templates or the code that fills them change, so every page
    is redone after an upgrade. (The stylesheet is a file of its own: a change to it
    rewrites that file only.)"""
    sources = [*sorted((TEMPLATES / "mirror").glob("*.html")), Path(feeds.__file__)]
    sources.append(Path(__file__).with_name("pages.py"))
    return digest([p.read_text() for p in sources])


class Writer:
    """Renders jobs into files."""

    def __init__(self, root: Path, renderer: PageRenderer, links: Links, link_base: str) -> None:
        self.root = root
        self.renderer = renderer
        self.links = links
        self.link_base = link_base  # absolute address of the pages, for feeds

    def page_url(self, path: str) -> str:
        return f"{self.link_base}/{path}"

    def feed_link(self, view: PostView) -> str:
        if view.post.id in self.links.mirrored_posts:
            return self.page_url(post_path(view.post.id))
        return view.post.url or view.post.uri

    async def bytes_of(self, job: Job, views: dict[int, PostView], store: MediaStore) -> bytes:
        entries = [views[i] for i in job.posts if i in views]
        render = self.renderer.render
        if job.kind == "static":
            data: bytes = job.args["data"]
            return data
        if job.kind == "media":
            content = await store.get(job.args["key"])
            return content or b""
        if job.kind == "index":
            return render("index.html", job.path, profiles=self.links.profiles.values(),
                          entries=entries)  # fmt: skip
        if job.kind == "profile":
            account: Account = job.args["account"]
            number, older, newer = job.args["number"], job.args["older"], job.args["newer"]
            return render(
                "profile.html", job.path, account=account, entries=entries,
                total=job.args["total"], page_number=number,
                older=f"page-{older}.html" if older else None,
                newer=None if newer is None else (f"page-{newer}.html" if newer else "index.html"),
            )  # fmt: skip
        if job.kind == "post":
            replies = [(views[i], depth) for i, depth in job.args["replies"] if i in views]
            return render(
                "post.html", job.path, focused=views[job.posts[0]],
                ancestors=[views[i] for i in job.args["ancestors"] if i in views],
                replies=replies,
            )  # fmt: skip
        return self._feed(job, entries)

    def _feed(self, job: Job, entries: list[PostView]) -> bytes:
        ext = job.args["ext"]
        site = self.renderer.site
        if job.kind == "feed":
            account: Account = job.args["account"]
            folder = profile_dir(account)
            info = feeds.FeedInfo(
                title=f"{account.display_name or account.username} (@{account.username}"
                f"@{self.renderer.domain})",
                description=f"Public parleys by @{account.username} on {site.name}",
                page_url=self.page_url(f"{folder}/index.html"),
                feed_url=self.page_url(f"{folder}/feed.{ext}"),
                id=account.uri,
            )
        else:
            info = feeds.FeedInfo(
                title=f"{site.name}: local parleys",
                description=site.description,
                page_url=self.page_url("index.html"),
                feed_url=self.page_url(f"feeds/local.{ext}"),
                id=f"{self.renderer.live_url}/public/local",
            )
        build = feeds.rss if ext == "rss" else feeds.atom
        return build(info, entries, self.feed_link)


async def build_mirror(
    db: Database,
    settings: Settings,
    root: Path,
    *,
    base_url: str | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_progress: ProgressHook | None = None,
) -> MirrorResult:
    """Bring the static mirror in `root` up to date with the database."""
    started = time.perf_counter()
    root, manifest = open_target(root, settings.domain)
    store = open_store(settings)
    async with db.reader() as session:
        site = await get_instance_info(
            session, max_post_chars_default=settings.max_post_chars_default
        )
        snapshot = await read_snapshot(session)
        base = digest(templates_stamp(), site.name, site.description, settings.domain, base_url)
        jobs = list(Planner(snapshot, base, store).jobs())
        wanted = {job.path for job in jobs}
        todo = [
            job
            for job in jobs
            if manifest.files.get(job.path) != job.fingerprint
            or not safe_path(root, job.path).exists()
        ]
        if on_plan is not None:
            on_plan(len(todo))
        links = _links(settings, snapshot, store)
        renderer = PageRenderer(
            build_pages_environment(links), site, settings.domain, settings.base_url
        )
        writer = Writer(root, renderer, links, (base_url or settings.base_url).rstrip("/"))
        written = await _write_all(session, root, writer, todo, manifest, store, on_progress)
    removed = [path for path in sorted(manifest.files) if path not in wanted]
    for path in removed:
        remove_file(root, path)
        del manifest.files[path]
    manifest.posts = {str(p.id): p.stamp for p in snapshot.local_posts()}
    manifest.profiles = {a.username_lower: snapshot.account_stamps[a.id] for a in snapshot.profiles}
    save_manifest(root, manifest)
    return MirrorResult(
        written=written,
        removed=removed,
        unchanged=len(jobs) - len(written),
        seconds=time.perf_counter() - started,
    )


def _links(settings: Settings, snapshot: Snapshot, store: MediaStore) -> Links:
    profiles = {a.id: a for a in snapshot.profiles}
    local_urls: dict[str, str] = {}
    for account in snapshot.profiles:
        for url in {account.url, account.uri} - {None}:
            if url:
                local_urls[url] = f"{profile_dir(account)}/index.html"
    prefix = store.url("avatars/0/x").removesuffix("avatars/0/x")
    return Links(
        domain=settings.domain,
        profiles=profiles,
        mirrored_posts={p.id for p in snapshot.local_posts()},
        public_posts=set(snapshot.posts),
        media_prefix=prefix,
        local_urls=local_urls,
    )


async def _write_all(
    session: AsyncSession,
    root: Path,
    writer: Writer,
    todo: list[Job],
    manifest: Manifest,
    store: MediaStore,
    on_progress: ProgressHook | None,
) -> list[str]:
    written: list[str] = []
    saved_at = time.monotonic()
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        views = await load_views(session, (i for job in batch for i in job.posts))
        for job in batch:
            if job.kind == "post" and job.posts[0] not in views:
                continue  # deleted between the snapshot and now: the next run removes it
            data = await writer.bytes_of(job, views, store)
            write_atomic(safe_path(root, job.path), data)
            manifest.files[job.path] = job.fingerprint
            written.append(job.path)
        # Saved as we go (not after every batch: the manifest of a big instance is megabytes),
        # so an interrupted run resumes about where it stopped.
        if time.monotonic() - saved_at > SAVE_EVERY:
            save_manifest(root, manifest)
            saved_at = time.monotonic()
        session.expunge_all()
        if on_progress is not None:
            on_progress(len(batch))
    return written
