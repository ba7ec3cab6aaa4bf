"""Exporting follows, blocks, mutes, lists and bookmarks as Mastodon's CSV files, and
importing them back (merge and overwrite), through the web settings pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parley.domain.accounts.models import Account
from parley.domain.interactions import service as interactions
from parley.domain.portability import export
from parley.domain.portability.csv_formats import MAX_BYTES
from parley.domain.portability.models import AccountImport, ImportState
from parley.domain.posts import service as posts
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow, Mute
from parley.domain.timelines import lists
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.portability.conftest import account_named as _account
from tests.integration.portability.conftest import upload
from tests.integration.web.conftest import Browser

FOLLOWING_HEADER = "Account address,Show boosts,Notify on new posts,Languages"


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    for name in ("alice", "bob", "carol", "dave"):
        await members.create(name)
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def _relations(runtime: Runtime) -> str:
    """alice follows bob (notified) and dave, blocks carol, mutes dave, lists bob, bookmarks
    bob's post; returns that post's URI. Bob follows carol (not alice's data)."""
    async with runtime.db.transaction() as session:
        found = {
            a.username: a
            for a in await session.scalars(
                select(Account).where(Account.username.in_(["alice", "bob", "carol", "dave"]))
            )
        }
        alice, bob, carol, dave = (found[n] for n in ("alice", "bob", "carol", "dave"))
        await relationships.follow_account(session, follower=alice, target=bob, notify=True)
        await relationships.follow_account(session, follower=alice, target=dave)
        await relationships.follow_account(session, follower=bob, target=carol)
        await relationships.block_account(session, actor=alice, target=carol)
        await relationships.mute_account(session, actor=alice, target=dave)
        friends = await lists.create_list(session, owner=alice, title="Friends")
        await lists.add_list_members(session, owner=alice, list_id=friends.id, account_ids=[bob.id])
        post = await posts.create_post(session, runtime.ctx, author=bob, text="keep this")
        await interactions.bookmark_post(session, actor=alice, post_id=post.id)
        return post.uri


async def test_exports_are_mastodon_csv_files_of_the_members_own_data(
    alice: Browser, runtime: Runtime
) -> None:
    uri = await _relations(runtime)
    following = await alice.get("/settings/export/following.csv")
    assert following.status_code == 200
    assert following.headers["content-type"].startswith("text/csv")
    assert 'filename="following_accounts.csv"' in following.headers["content-disposition"]
    assert following.text == (
        f"{FOLLOWING_HEADER}\ndave@parley.test,true,false,\nbob@parley.test,true,true,\n"
    )
    assert (await alice.get("/settings/export/blocking.csv")).text == "carol@parley.test\n"
    assert (await alice.get("/settings/export/muting.csv")).text == (
        "Account address,Hide notifications\ndave@parley.test,true\n"
    )
    assert (await alice.get("/settings/export/lists.csv")).text == "Friends,bob@parley.test\n"
    assert (await alice.get("/settings/export/bookmarks.csv")).text == f"{uri}\n"
    assert (await alice.get("/settings/export/passwords.csv")).status_code == 404
    page = await alice.get("/settings/export")
    assert "following_accounts.csv" in page.text


async def test_exports_need_a_signed_in_member(browser: Browser) -> None:
    answer = await browser.get("/settings/export/following.csv")
    assert answer.status_code in (302, 303, 401)
    assert "Account address" not in answer.text


async def test_import_follows_merge_then_overwrite(alice: Browser, runtime: Runtime) -> None:
    bob, carol = await _account(runtime, "bob"), await _account(runtime, "carol")
    me = await _account(runtime, "alice")
    answer = await upload(
        alice,
        "/settings/import",
        {"type": "following", "mode": "merge"},
        {
            "file": (
                "following_accounts.csv",
                f"{FOLLOWING_HEADER}\n@bob@parley.test,false,true,\n"
                "nobody@parley.test,true,false,\n".encode(),
            )
        },
    )
    assert answer.status_code == 303, answer.text
    waiting = await alice.get("/settings/import")
    assert "In progress: 0 of 2" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        follow = await session.scalar(select(Follow).where(Follow.account_id == me.id))
        task = await session.scalar(select(AccountImport))
    assert follow is not None
    assert (follow.target_id, follow.show_echoes, follow.notify) == (bob.id, False, True)
    assert task is not None
    assert (task.state, task.total, task.imported) == (ImportState.DONE, 2, 1)
    assert task.failures == ["nobody@parley.test: account not found"]
    page = await alice.get("/settings/import")
    assert "Done: 1 of 2 imported" in page.text
    assert 'http-equiv="refresh"' not in page.text

    # A headerless file (Mastodon reads it as addresses) in overwrite mode: bob goes.
    answer = await upload(
        alice,
        "/settings/import",
        {"type": "following", "mode": "overwrite"},
        {"file": ("follows.csv", b"carol@parley.test\n")},
    )
    assert answer.status_code == 303, answer.text
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        targets = set(
            await session.scalars(select(Follow.target_id).where(Follow.account_id == me.id))
        )
    assert targets == {carol.id}


async def test_import_mutes_and_blocks(alice: Browser, runtime: Runtime) -> None:
    me, dave = await _account(runtime, "alice"), await _account(runtime, "dave")
    for kind, body in (
        ("muting", b"Account address,Hide notifications\ndave@parley.test,false\n"),
        ("blocking", b"carol@parley.test\n"),
    ):
        answer = await upload(
            alice, "/settings/import", {"type": kind, "mode": "merge"}, {"file": ("x.csv", body)}
        )
        assert answer.status_code == 303, answer.text
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        mute = await session.scalar(select(Mute).where(Mute.account_id == me.id))
    assert mute is not None
    assert (mute.target_id, mute.hide_notifications) == (dave.id, False)
    assert "carol@parley.test" in (await alice.get("/settings/export/blocking.csv")).text


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("following", b"Name,Server\nbob,parley.test\n", "does not look like"),
        (
            "following",
            f"{FOLLOWING_HEADER}\nbob@parley.test,maybe,true,\n".encode(),
            "true or false",
        ),
        ("blocking", b"carol@parley.test\nDROP TABLE accounts;\n", "Line 2"),
        ("bookmarks", b"not a url\n", "not the address of a post"),
        ("muting", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("muting", b"", "empty"),
        ("blocking", b'bob@parley.test\n"carol@parley.test\n', "not valid CSV"),
        ("secrets", b"bob@parley.test\n", "Choose what the file contains"),
    ],
)
async def test_a_bad_csv_is_refused_and_imports_nothing(
    alice: Browser, runtime: Runtime, kind: str, body: bytes, message: str
) -> None:
    answer = await upload(
        alice, "/settings/import", {"type": kind, "mode": "merge"}, {"file": ("bad.csv", body)}
    )
    assert answer.status_code == 422
    assert message in answer.text
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(AccountImport)) == 0


async def test_a_too_large_csv_is_refused(alice: Browser, runtime: Runtime) -> None:
    body = b"bob@parley.test\n" * (MAX_BYTES // 16 + 1)
    answer = await upload(
        alice, "/settings/import", {"type": "blocking", "mode": "merge"}, {"file": ("b.csv", body)}
    )
    assert answer.status_code == 422
    assert "larger than" in answer.text
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(AccountImport)) == 0


async def test_an_import_without_a_file_or_token_is_refused(alice: Browser) -> None:
    answer = await upload(alice, "/settings/import", {"type": "blocking"}, {})
    assert answer.status_code == 422
    assert "Choose a file" in answer.text
    forged = await alice.client.post(
        "/settings/import", data={"type": "blocking"}, files={"file": ("b.csv", b"bob@x.y\n")}
    )
    assert forged.status_code in (400, 403)


async def test_a_long_export_is_streamed_in_pages_without_gaps_or_repeats(
    alice: Browser, runtime: Runtime, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PAGE", 2)
    names = [f"friend{i}" for i in range(5)]
    for name in names:
        await members.create(name)
    me = await _account(runtime, "alice")
    async with runtime.db.transaction() as session:
        follower = await session.get(Account, me.id)
        assert follower is not None
        for name in names:
            target = await session.scalar(select(Account).where(Account.username == name))
            assert target is not None
            await relationships.follow_account(session, follower=follower, target=target)
    lines = (await alice.get("/settings/export/following.csv")).text.splitlines()
    assert lines[0] == FOLLOWING_HEADER
    assert sorted(lines[1:]) == [f"{n}@parley.test,true,false," for n in names]


async def test_import_lists_and_bookmarks(alice: Browser, runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        bob = await session.scalar(select(Account).where(Account.username == "bob"))
        assert bob is not None
        post = await posts.create_post(session, runtime.ctx, author=bob, text="save me")
    for kind, body in (
        ("lists", b"Friends,bob@parley.test\nFriends,carol@parley.test\n"),
        ("bookmarks", f"{post.uri}\nhttps://elsewhere.example/statuses/1\n".encode()),
    ):
        answer = await upload(
            alice, "/settings/import", {"type": kind, "mode": "merge"}, {"file": ("x.csv", body)}
        )
        assert answer.status_code == 303, answer.text
    await runtime.worker.drain()
    assert (await alice.get("/settings/export/lists.csv")).text == (
        "Friends,bob@parley.test\nFriends,carol@parley.test\n"
    )
    assert (await alice.get("/settings/export/bookmarks.csv")).text == f"{post.uri}\n"
    async with runtime.db.reader() as session:
        marks = await session.scalar(select(AccountImport).where(AccountImport.kind == "bookmarks"))
    assert marks is not None
    assert marks.failures == [
        "https://elsewhere.example/statuses/1: this server does not know that post"
    ]
