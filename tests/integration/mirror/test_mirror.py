"""`parley mirror`: public profiles and parleys become a static site; nothing else does."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.web.mirror import build
from parley.web.mirror.manifest import MANIFEST_NAME, MirrorError
from tests.integration.mirror.conftest import Site, check_html, relative_links

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314  (the mirror's own output)


async def test_public_posts_profiles_and_threads_are_rendered(site: Site) -> None:
    alice = await site.member("alice")
    bob = await site.member("bob")
    first = await site.post(alice, "Hello from the #mirror, @bob")
    reply = await site.post(bob, "A public comment", in_reply_to_id=first.id)

    result = await site.mirror()

    for path in (
        "index.html",
        "static/parley.css",
        "feeds/local.rss",
        "feeds/local.atom",
        "users/alice/index.html",
        "users/alice/feed.rss",
        "users/alice/feed.atom",
        "users/bob/index.html",
        f"posts/{first.id}.html",
        f"posts/{reply.id}.html",
    ):
        assert (site.root / path).is_file(), path
        assert path in result.written
    page = site.read(f"posts/{first.id}.html")
    assert "Hello from the" in page
    assert "A public comment" in page  # the thread below it
    assert "Hello from the" in site.read(f"posts/{reply.id}.html")  # and above it
    assert "Hello from the" in site.read("users/alice/index.html")
    # The @bob mention points at bob's page in the mirror, not at the live server.
    assert 'href="../users/bob/index.html"' in page


async def test_every_page_is_well_formed_and_its_links_resolve_inside_the_mirror(
    site: Site,
) -> None:
    alice = await site.member("alice")
    parent = await site.post(alice, "A <b>tag</b> & an ampersand", spoiler_text="careful")
    await site.post(alice, "Quoting myself", quote_of_id=parent.id)
    await site.post(alice, "Reply", in_reply_to_id=parent.id)
    await site.mirror()

    pages = [p for p in site.files() if p.suffix == ".html"]
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        assert check_html(text) == [], page
        for link in relative_links(text):
            target = (page.parent / link).resolve()
            assert target.is_file(), f"{page.relative_to(site.root)} links to missing {link}"
            assert site.root.resolve() in target.parents
    assert "&lt;b&gt;tag&lt;/b&gt; &amp; an ampersand" in site.read(f"posts/{parent.id}.html")


async def test_nothing_but_public_posts_of_visible_members_reaches_the_mirror(
    site: Site,
) -> None:
    alice = await site.member("alice")
    carol = await site.member("carol")
    await site.post(alice, "PUBLIC-OK")
    unlisted = await site.post(alice, "SECRET-UNLISTED", visibility="unlisted")
    followers = await site.post(alice, "SECRET-FOLLOWERS", visibility="private")
    await site.post(alice, "SECRET-DIRECT @bob", visibility="direct")
    # Public posts around hidden ones must not pull the hidden text in.
    await site.post(alice, "quoting an unlisted one", quote_of_id=unlisted.id)
    await site.post(alice, "public comment on a followers-only one", in_reply_to_id=followers.id)
    await site.post(carol, "SECRET-SUSPENDED public post")
    held = await site.post(alice, "SECRET-HELD for review")
    async with site.runtime.db.transaction() as session:
        # As an automated flag holds a post until a moderator approves it.
        await session.execute(update(Post).where(Post.id == held.id).values(held=True))
    async with site.runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == carol.id).values(suspended_at=utcnow())
        )

    await site.mirror()

    everything = site.everything()
    assert "PUBLIC-OK" in everything
    assert "public comment on a followers-only one" in everything
    for secret in ("UNLISTED", "FOLLOWERS", "DIRECT", "SUSPENDED", "HELD"):
        assert f"SECRET-{secret}" not in everything, secret
    assert not (site.root / "users/carol").exists()


async def test_a_second_run_with_no_changes_writes_nothing(site: Site) -> None:
    alice = await site.member("alice")
    await site.post(alice, "one")
    await site.post(alice, "two")
    await site.mirror()
    before = {p: p.stat().st_mtime_ns for p in site.files()}

    result = await site.mirror()

    assert result.written == []
    assert result.removed == []
    after = {p: p.stat().st_mtime_ns for p in site.files() if p.name != MANIFEST_NAME}
    assert after == {p: t for p, t in before.items() if p.name != MANIFEST_NAME}


async def test_a_new_post_rewrites_only_the_pages_that_show_it(site: Site) -> None:
    alice = await site.member("alice")
    bob = await site.member("bob")
    old = await site.post(alice, "old post")
    bobs = await site.post(bob, "bob's post")
    await site.mirror()
    bob_page = site.root / "users/bob/index.html"
    bob_mtime = bob_page.stat().st_mtime_ns

    new = await site.post(alice, "new post")
    result = await site.mirror()

    assert set(result.written) == {
        f"posts/{new.id}.html",
        "users/alice/index.html",
        "users/alice/feed.rss",
        "users/alice/feed.atom",
        "index.html",
        "feeds/local.rss",
        "feeds/local.atom",
    }
    assert f"posts/{old.id}.html" not in result.written
    assert f"posts/{bobs.id}.html" not in result.written
    assert bob_page.stat().st_mtime_ns == bob_mtime
    manifest = json.loads(site.read(MANIFEST_NAME))
    assert str(new.id) in manifest["posts"]
    assert "alice" in manifest["profiles"]


async def test_an_edit_or_a_comment_rerenders_the_thread(site: Site) -> None:
    alice = await site.member("alice")
    bob = await site.member("bob")
    root = await site.post(alice, "root post")
    unrelated = await site.post(alice, "unrelated")
    await site.mirror()

    async with site.runtime.db.transaction() as session:
        await posts.edit_post(
            session, site.runtime.ctx, editor=alice, post_id=root.id, text="root post, edited"
        )
    result = await site.mirror()
    assert f"posts/{root.id}.html" in result.written
    assert f"posts/{unrelated.id}.html" not in result.written
    assert "root post, edited" in site.read(f"posts/{root.id}.html")

    reply = await site.post(bob, "a comment", in_reply_to_id=root.id)
    result = await site.mirror()
    assert {f"posts/{root.id}.html", f"posts/{reply.id}.html"} <= set(result.written)
    assert "a comment" in site.read(f"posts/{root.id}.html")


async def test_a_deleted_post_loses_its_page_and_its_profile_is_rerendered(site: Site) -> None:
    alice = await site.member("alice")
    keep = await site.post(alice, "keep me")
    gone = await site.post(alice, "DELETE-ME")
    hidden = await site.post(alice, "MADE-PRIVATE")
    await site.mirror()
    assert (site.root / f"posts/{gone.id}.html").is_file()

    async with site.runtime.db.transaction() as session:
        await posts.delete_post(session, actor=alice, post_id=gone.id)
        # Visibility changed behind the mirror's back (e.g. by a moderator's tool).
        await session.execute(update(Post).where(Post.id == hidden.id).values(visibility="private"))
    result = await site.mirror()

    assert set(result.removed) == {f"posts/{gone.id}.html", f"posts/{hidden.id}.html"}
    assert not (site.root / f"posts/{gone.id}.html").exists()
    assert "users/alice/index.html" in result.written
    assert (site.root / f"posts/{keep.id}.html").is_file()
    assert "DELETE-ME" not in site.everything()
    assert "MADE-PRIVATE" not in site.everything()
    manifest = json.loads(site.read(MANIFEST_NAME))
    assert f"posts/{gone.id}.html" not in manifest["files"]
    assert str(gone.id) not in manifest["posts"]


async def test_files_the_mirror_did_not_write_are_left_alone(site: Site) -> None:
    alice = await site.member("alice")
    post = await site.post(alice, "temporary")
    site.root.mkdir(parents=True)
    (site.root / "CNAME").write_text("mirror.example.org")
    await site.mirror()
    async with site.runtime.db.transaction() as session:
        await posts.delete_post(session, actor=alice, post_id=post.id)
    await site.mirror()
    assert (site.root / "CNAME").read_text() == "mirror.example.org"
    assert not list(site.root.rglob("*.tmp-*"))


async def test_feeds_are_rss_2_and_atom_with_the_required_elements(site: Site) -> None:
    alice = await site.member("alice")
    post = await site.post(alice, "Feed me <now>", spoiler_text="")
    await site.mirror(base_url="https://mirror.example.org/parley/")

    rss = parse(site.read("users/alice/feed.rss"))
    assert rss.tag == "rss"
    assert rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel is not None
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), name
    items = channel.findall("item")
    assert len(items) == 1
    item = items[0]
    assert item.findtext("link") == f"https://mirror.example.org/parley/posts/{post.id}.html"
    assert item.findtext("guid") == post.uri
    assert item.findtext("pubDate")
    assert "Feed me &lt;now&gt;" in (item.findtext("description") or "")

    feed = parse(site.read("feeds/local.atom"))
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), name
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    for name in ("id", "title", "updated"):
        assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
    assert entry.find(f"{ATOM}author/{ATOM}name") is not None
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"https://mirror.example.org/parley/posts/{post.id}.html"
    parse(site.read("feeds/local.rss"))
    parse(site.read("users/alice/feed.atom"))


async def test_a_long_profile_is_paged_with_stable_archive_pages(site: Site) -> None:
    alice = await site.member("alice")
    written = [await site.post(alice, f"number {n:03d}") for n in range(45)]
    await site.mirror()

    front = site.read("users/alice/index.html")
    assert "number 044" in front
    assert "number 025" in front
    assert "number 024" not in front
    assert 'href="page-2.html"' in front  # the page holding number 024
    page1 = site.read("users/alice/page-1.html")
    assert "number 000" in page1
    assert "number 019" in page1
    assert "number 020" not in page1
    assert (site.root / "users/alice/page-3.html").is_file()

    written.append(await site.post(alice, "number 045"))
    result = await site.mirror()
    # The archive pages before the newest one do not change when a new post arrives.
    assert "users/alice/page-1.html" not in result.written
    assert "users/alice/page-2.html" not in result.written
    assert "users/alice/page-3.html" in result.written


async def test_a_mirror_of_another_instance_is_refused(site: Site) -> None:
    site.root.mkdir(parents=True)
    (site.root / MANIFEST_NAME).write_text(
        json.dumps({"format": 1, "instance": "elsewhere.example", "files": {}})
    )
    with pytest.raises(MirrorError, match=r"elsewhere\.example"):
        await site.mirror()


async def test_media_and_avatars_are_copied_from_the_store(site: Site, tmp_path: Path) -> None:
    alice = await site.member("alice")
    key = "avatars/1/face_0123456789abcdef.webp"
    store = site.runtime.settings.media_dir
    (store / "avatars/1").mkdir(parents=True)
    (store / key).write_bytes(b"RIFF-fake-webp")
    async with site.runtime.db.transaction() as session:
        await session.execute(
            update(Account)
            .where(Account.id == alice.id)
            .values(avatar_url=f"{site.runtime.settings.base_url}/media/{key}")
        )
    await site.post(alice, "with an avatar")
    await site.mirror()

    assert (site.root / "media" / key).read_bytes() == b"RIFF-fake-webp"
    assert f'src="../../media/{key}"' in site.read("users/alice/index.html")


async def test_a_stylesheet_change_rewrites_the_stylesheet_only(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "parley.css").write_text((build.STATIC / "parley.css").read_text(), encoding="utf-8")
    monkeypatch.setattr(build, "STATIC", static)
    alice = await site.member("alice")
    await site.post(alice, "styled")
    await site.mirror()

    (static / "parley.css").write_text("body { color: red }")
    result = await site.mirror()

    assert result.written == ["static/parley.css"]
    assert site.read("static/parley.css") == "body { color: red }"
