"""Attachments between two Parley instances: Documents out, remote media in, the proxy."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import select
from starlette.routing import Mount

from parley.activitypub.to_ap import load_note
from parley.domain.accounts.models import Account
from parley.domain.media import service as media
from parley.domain.media.models import MediaAttachment
from parley.domain.media.remote import prune_cache
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.posts.views import hydrate
from parley.infra.storage import open_store
from parley.mastodon import entities
from tests.fixtures.media import jpeg_with_gps, noise_png
from tests.integration.activitypub.test_two_instances import (
    Instance,
    follow_alice_from_bob,
    settle,
)


def web_state(instance: Instance) -> object:
    mount = next(r for r in instance.app.routes if isinstance(r, Mount) and r.path == "")
    return mount.app.state  # type: ignore[attr-defined]


async def post_with_photo(a: Instance, alice: Account) -> Post:
    async with a.runtime.db.transaction() as session:
        upload = await media.upload_media(
            session,
            open_store(a.runtime.settings),
            media.Limits.from_settings(a.runtime.settings),
            account_id=alice.id,
            data=jpeg_with_gps(1000, 800),
            description="The tower at dusk",
            focus="0.1,0.2",
            synchronous=True,
        )
        author = await session.get(Account, alice.id)
        assert author is not None
        return await posts.create_post(
            session,
            a.runtime.ctx,
            author=author,
            text="",
            media_ids=[upload.id],
            visibility="public",
        )


async def test_attachments_federate_and_are_proxied(
    pair: tuple[Instance, Instance], tmp_path: Path
) -> None:
    a, b = pair
    for instance, name in ((a, "a"), (b, "b")):
        instance.runtime.settings.media_dir = tmp_path / f"media-{name}"
    alice, _bob = await follow_alice_from_bob(a, b)
    post = await post_with_photo(a, alice)

    async with a.runtime.db.reader() as session:
        note = await load_note(session, post, base_url=a.runtime.settings.base_url)
    [doc] = note["attachment"]
    assert doc["type"] == "Document"
    assert doc["mediaType"] == "image/jpeg"
    assert doc["name"] == "The tower at dusk"
    assert doc["focalPoint"] == [0.1, 0.2]
    assert (doc["width"], doc["height"]) == (1000, 800)
    assert doc["blurhash"]
    assert doc["url"].startswith("https://a.test/media/attachments/")

    await settle(a, b)
    async with b.runtime.db.reader() as session:
        copy = await session.scalar(select(Post).where(Post.uri == post.uri))
        assert copy is not None
        assert copy.has_media
        [remote] = await session.scalars(
            select(MediaAttachment).where(MediaAttachment.post_id == copy.id)
        )
        [view] = await hydrate(session, None, [copy])
    assert remote.remote_url == doc["url"]
    assert remote.description == "The tower at dusk"
    assert remote.file_key is None  # nothing fetched until someone looks
    entity = entities.status("https://b.test", view)["media_attachments"][0]
    assert entity["remote_url"] == doc["url"]
    assert entity["url"] == f"https://b.test/media/remote/{remote.id}"

    state = web_state(b)
    network = a.fed.transport
    state.media_transport, state.media_resolver = network, b.fed.resolver  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=b.app), base_url="https://b.test"
    ) as client:
        proxied = await client.get(f"/media/remote/{remote.id}")
        assert proxied.status_code == 200
        assert proxied.headers["content-type"] == "image/jpeg"
        assert proxied.headers["x-content-type-options"] == "nosniff"
        assert not Image.open(io.BytesIO(proxied.content)).getexif()
        # Cached: served again without the origin.
        network.hosts.pop("a.test")  # type: ignore[attr-defined]
        again = await client.get(f"/media/remote/{remote.id}")
        assert again.content == proxied.content

    async with b.runtime.db.transaction() as session:
        assert await prune_cache(session, open_store(b.runtime.settings), older_than_days=-1) == 1
    assert not list((tmp_path / "media-b").rglob("*.jpg"))


async def test_proxy_enforces_the_size_limit_and_the_ssrf_guard(
    pair: tuple[Instance, Instance], tmp_path: Path
) -> None:
    a, b = pair
    for instance, name in ((a, "a"), (b, "b")):
        instance.runtime.settings.media_dir = tmp_path / f"media-{name}"
    alice, _bob = await follow_alice_from_bob(a, b)
    await post_with_photo(a, alice)
    await settle(a, b)
    async with b.runtime.db.reader() as session:
        remote = await session.scalar(
            select(MediaAttachment).where(MediaAttachment.remote_url.is_not(None))
        )
    assert remote is not None
    state = web_state(b)
    state.media_transport = a.fed.transport  # type: ignore[attr-defined]

    async def private_address(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=b.app), base_url="https://b.test"
    ) as client:
        b.runtime.settings.media_remote_max_bytes = 1000
        state.media_resolver = b.fed.resolver  # type: ignore[attr-defined]
        assert (await client.get(f"/media/remote/{remote.id}")).status_code == 404
        b.runtime.settings.media_remote_max_bytes = 40 * 1024 * 1024
        b.runtime.settings.federation_allow_insecure = False
        state.media_resolver = private_address  # type: ignore[attr-defined]
        assert (await client.get(f"/media/remote/{remote.id}")).status_code == 404
    assert not (tmp_path / "media-b").exists() or not list((tmp_path / "media-b").rglob("*.*"))


async def test_a_file_finished_after_posting_reaches_the_followers_server(
    pair: tuple[Instance, Instance], tmp_path: Path
) -> None:
    a, b = pair
    a.runtime.settings.media_dir = tmp_path / "media-a"
    alice, _bob = await follow_alice_from_bob(a, b)
    store = open_store(a.runtime.settings)
    async with a.runtime.db.transaction() as session:
        upload = await media.upload_media(
            session,
            store,
            media.Limits.from_settings(a.runtime.settings),
            account_id=alice.id,
            data=noise_png(700, 600),  # big enough to be processed in the background
            description="Static",
        )
        author = await session.get(Account, alice.id)
        assert author is not None
        post = await posts.create_post(
            session,
            a.runtime.ctx,
            author=author,
            text="wait for it",
            media_ids=[upload.id],
            allow_processing_media=True,
        )
    await settle(a, b)
    async with b.runtime.db.reader() as session:
        copy = await session.scalar(select(Post).where(Post.uri == post.uri))
        assert copy is not None
        assert not copy.has_media
    await media.process_pending(a.runtime.db, store, upload.id)
    await settle(a, b)
    async with b.runtime.db.reader() as session:
        copy = await session.scalar(select(Post).where(Post.uri == post.uri))
        assert copy is not None
        assert copy.has_media
        [remote] = await session.scalars(
            select(MediaAttachment).where(MediaAttachment.post_id == copy.id)
        )
    assert remote.description == "Static"
    assert remote.remote_url is not None
    assert remote.remote_url.startswith("https://a.test/media/attachments/")
