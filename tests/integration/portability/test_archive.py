"""A member's archive (ActivityPub JSON in a zip, laid out like Mastodon's), and bringing
an archive's posts to another account: history kept, nothing fanned out or federated."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account
from parley.domain.interactions import service as interactions
from parley.domain.media import service as media
from parley.domain.media.checks import Limits
from parley.domain.media.models import MediaAttachment
from parley.domain.portability.models import AccountImport, ImportState
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.relationships import service as relationships
from parley.domain.timelines.models import FeedEntry
from parley.infra.storage import open_store
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import Members
from tests.fixtures.media import png_with_text
from tests.integration.portability.conftest import account_named, upload
from tests.integration.web.conftest import Browser


async def _alices_posts(runtime: Runtime) -> dict[str, Post]:
    """alice writes public, followers-only, mentioned-only, a reply to herself and a picture;
    bob writes a post alice upvotes and bookmarks."""
    made = {}
    async with runtime.db.transaction() as session:
        alice = await session.scalar(select(Account).where(Account.username == "alice"))
        bob = await session.scalar(select(Account).where(Account.username == "bob"))
        assert alice is not None
        assert bob is not None
        for name, visibility in (
            ("public", "public"),
            ("friends", "private"),
            ("secret", "direct"),
        ):
            made[name] = await posts.create_post(
                session, runtime.ctx, author=alice, text=f"{name} post", visibility=visibility
            )
        made["reply"] = await posts.create_post(
            session, runtime.ctx, author=alice, text="replying", in_reply_to_id=made["public"].id
        )
        picture = await media.upload_media(
            session,
            open_store(runtime.settings),
            Limits.from_settings(runtime.settings),
            account_id=alice.id,
            data=png_with_text(),
            description="a gradient",
            synchronous=True,
        )
        made["picture"] = await posts.create_post(
            session, runtime.ctx, author=alice, text="look", media_ids=[picture.id]
        )
        made["bobs"] = await posts.create_post(session, runtime.ctx, author=bob, text="bob here")
        await interactions.upvote_post(session, actor=alice, post_id=made["bobs"].id)
        await interactions.bookmark_post(session, actor=alice, post_id=made["bobs"].id)
        made["bobs_private"] = await posts.create_post(
            session, runtime.ctx, author=bob, text="bob only", visibility="private"
        )
    return made


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    for name in ("alice", "bob", "carol", "dave"):
        await members.create(name)
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def _download(browser: Browser) -> zipfile.ZipFile:
    answer = await browser.get("/settings/export/archive.zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["cache-control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return orjson.loads(archive.read(name))


async def test_the_archive_holds_the_members_own_posts_likes_bookmarks_and_media(
    alice: Browser, runtime: Runtime
) -> None:
    made = await _alices_posts(runtime)
    async with runtime.db.transaction() as session:
        me = await session.scalar(select(Account).where(Account.username == "alice"))
        assert me is not None
        await accounts.set_profile_image(
            session, runtime.ctx, account=me, slot="avatar", data=png_with_text()
        )
    archive = await _download(alice)
    actor = _json(archive, "actor.json")
    assert actor["id"] == "https://parley.test/users/alice"
    assert archive.read(actor["icon"]["url"]).startswith(b"RIFF")
    outbox = _json(archive, "outbox.json")
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 5
    items = outbox["orderedItems"]
    assert {i["type"] for i in items} == {"Create"}
    uris = {i["object"]["id"] for i in items}
    # Her own posts, every visibility; never bob's, not even his followers-only one.
    assert uris == {made[n].uri for n in ("public", "friends", "secret", "reply", "picture")}
    assert _json(archive, "likes.json")["orderedItems"] == [made["bobs"].uri]
    assert _json(archive, "bookmarks.json")["orderedItems"] == [made["bobs"].uri]
    [with_media] = [i["object"] for i in items if i["object"]["id"] == made["picture"].uri]
    path = with_media["attachment"][0]["url"]
    assert path.startswith("/media_attachments/files/")
    assert archive.read(path.lstrip("/")).startswith(b"RIFF")  # the stored WebP
    assert with_media["attachment"][0]["name"] == "a gradient"


async def test_an_archive_needs_its_signed_in_member(browser: Browser) -> None:
    answer = await browser.get("/settings/export/archive.zip")
    assert answer.status_code in (302, 303, 401)
    assert answer.headers.get("content-type") != "application/zip"


async def test_importing_an_archive_keeps_history_without_announcing_it(
    alice: Browser, browser_factory: Any, runtime: Runtime
) -> None:
    made = await _alices_posts(runtime)
    data = (await _download(alice)).fp
    assert data is not None
    archive_bytes = data.getvalue()  # type: ignore[attr-defined]
    carol = await account_named(runtime, "carol")
    dave = await account_named(runtime, "dave")
    async with runtime.db.transaction() as session:
        follower = await session.get(Account, dave.id)
        target = await session.get(Account, carol.id)
        assert follower is not None
        assert target is not None
        await relationships.follow_account(session, follower=follower, target=target)
    await runtime.worker.drain()

    browser = browser_factory()
    assert (await browser.sign_in("carol")).status_code == 303
    answer = await upload(
        browser,
        "/settings/import/archive",
        {},
        {"archive": ("archive.zip", archive_bytes)},
    )
    assert answer.status_code == 303, answer.text
    async with runtime.db.reader() as session:
        jobs_before = await session.scalar(select(func.count()).select_from(Job))
    await runtime.worker.drain()

    async with runtime.db.reader() as session:
        mine = list(
            await session.scalars(select(Post).where(Post.account_id == carol.id).order_by(Post.id))
        )
        task = await session.scalar(select(AccountImport))
        in_home = await session.scalar(
            select(func.count()).select_from(FeedEntry).where(FeedEntry.account_id == dave.id)
        )
        new_jobs = list(
            await session.scalars(select(Job.kind).order_by(Job.id).offset(jobs_before or 0))
        )
        attached = list(
            await session.scalars(
                select(MediaAttachment).where(MediaAttachment.account_id == carol.id)
            )
        )
        me = await session.get(Account, carol.id)
    # The mentioned-only post stays out; the others keep their dates and the thread.
    assert sorted(p.text for p in mine) == ["friends post", "look", "public post", "replying"]
    by_text = {p.text: p for p in mine}
    assert by_text["friends post"].visibility == "private"
    assert by_text["replying"].in_reply_to_id == by_text["public post"].id
    original = made["public"].created_at.replace(microsecond=0)
    assert by_text["public post"].created_at.replace(microsecond=0) == original
    assert by_text["look"].has_media
    assert len(attached) == 1
    assert attached[0].post_id == by_text["look"].id
    assert attached[0].description == "a gradient"
    assert all(p.uri.startswith("https://parley.test/users/carol/statuses/") for p in mine)
    # Not in the follower's home, and nothing told other servers or streams of new posts.
    assert in_home == 0
    assert not [k for k in new_jobs if k.startswith(("event.post", "ap.", "listen."))]
    assert task is not None
    assert (task.state, task.total, task.imported) == (ImportState.DONE, 4, 4)
    assert me is not None
    assert me.posts_count == 4
    page = await browser.get("/@carol")
    assert "public post" in page.text


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _outbox(*items: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": "OrderedCollection", "orderedItems": list(items)})


NOTE = {
    "type": "Create",
    "object": {
        "id": "https://old.example/users/a/statuses/1",
        "type": "Note",
        "attributedTo": "https://old.example/users/a",
        "content": "<p>hi</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "published": datetime(2020, 1, 2, tzinfo=UTC).isoformat(),
    },
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose a file"),
        (b"PK\x03\x04 not really a zip", "not a readable zip"),
        (_zip({"actor.json": b"{}"}), "no outbox.json"),
        (b"{not json", "not JSON"),
        (orjson.dumps({"type": "Person"}), "not an ActivityPub outbox"),
        (_outbox(NOTE, "just a string"), "Item 2"),
        (
            _outbox({**NOTE, "object": {**NOTE["object"], "published": None}}),  # type: ignore[dict-item]
            "no publication date",
        ),
        (_outbox({**NOTE, "object": {**NOTE["object"], "attributedTo": None}}), "Item 1"),  # type: ignore[dict-item]
    ],
)
async def test_a_bad_archive_is_refused_and_imports_nothing(
    alice: Browser, runtime: Runtime, data: bytes, message: str
) -> None:
    files = {"archive": ("archive.zip", data)} if data else {}
    answer = await upload(alice, "/settings/import/archive", {}, files)
    assert answer.status_code == 422
    assert message in answer.text
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(AccountImport)) == 0
        assert await session.scalar(select(func.count()).select_from(Post)) == 0


async def test_a_plain_outbox_json_is_imported_too(alice: Browser, runtime: Runtime) -> None:
    answer = await upload(
        alice, "/settings/import/archive", {}, {"archive": ("outbox.json", _outbox(NOTE))}
    )
    assert answer.status_code == 303, answer.text
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        [post] = list(await session.scalars(select(Post)))
    assert post.created_at == datetime(2020, 1, 2, tzinfo=UTC)
    assert post.content_html == "<p>hi</p>"


async def test_an_archive_that_went_bad_before_its_job_fails_with_a_reason(
    alice: Browser, runtime: Runtime
) -> None:
    answer = await upload(
        alice, "/settings/import/archive", {}, {"archive": ("outbox.json", _outbox(NOTE))}
    )
    assert answer.status_code == 303, answer.text
    async with runtime.db.reader() as session:
        task = await session.scalar(select(AccountImport))
    assert task is not None
    assert task.archive_key is not None
    await open_store(runtime.settings).put(task.archive_key, b"{broken", "application/json")
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        failed = await session.get(AccountImport, task.id)
        assert await session.scalar(select(func.count()).select_from(Post)) == 0
    assert failed is not None
    assert (failed.state, failed.error) == (ImportState.FAILED, "outbox.json is not JSON")
    assert "Failed: outbox.json is not JSON" in (await alice.get("/settings/import")).text
