"""The move, live: two Parley servers on loopback with real HTTP between them.

alice on A is followed by bob (on B) and carol (on A). She makes alicenew on B, lists her
old account there as an alias from B's settings page, then moves from A's settings page.
Both followers end up following alicenew, as their apps show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from parley.config import Settings
from tests.databases import TestDatabases
from tests.integration.operations.test_drill import eventually, sign_up
from tests.integration.streaming.conftest import Live, free_port, start_live, stop_live

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.slow


def _settings(databases: TestDatabases, folder: Path) -> Settings:
    folder.mkdir()
    return Settings(
        domain=f"127.0.0.1:{free_port()}",
        database_url=databases.fresh(folder),
        data_dir=folder,
        media_dir=folder / "media",
        secret_key=f"secret-of-{folder.name}",
        password_time_cost=1,
        password_memory_cost_kib=1024,
        embedded_worker=True,
        cookie_secure=False,
        federation_allow_insecure=True,
    )


@pytest.fixture
def servers(
    databases: TestDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Live, Live]]:
    a = start_live(_settings(databases, tmp_path / "a"), monkeypatch)
    b = start_live(_settings(databases, tmp_path / "b"), monkeypatch)
    yield a, b
    stop_live(a)
    stop_live(b)


class WebSession:
    """A browser on one server's settings pages."""

    def __init__(self, base_url: str, login: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        signed = self.post("/auth/sign_in", {"login": login, "password": PASSWORD}, "/auth/sign_in")
        assert signed.status_code == 303

    def post(self, path: str, data: dict[str, str], page: str) -> httpx.Response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.http.get(page).text)
        assert token is not None
        return self.http.post(path, data={**data, "csrf_token": token.group(1)})


def _follows(api: Mastodon, me: int, acct: str) -> bool:
    return any(a.acct == acct for a in api.account_following(me))


def test_followers_on_both_servers_follow_the_moved_account(servers: tuple[Live, Live]) -> None:
    opened: list[Any] = []
    try:
        _move(servers, opened)
    finally:
        # Close every connection here, so none is left for a later test to find.
        for thing in opened:
            (thing.session if isinstance(thing, Mastodon) else thing.http).close()


def _move(servers: tuple[Live, Live], opened: list[Any]) -> None:
    a, b = servers
    a_host, b_host = a.url.removeprefix("http://"), b.url.removeprefix("http://")
    alice, carol = sign_up(a.url, "alice"), sign_up(a.url, "carol")
    bob, alicenew = sign_up(b.url, "bob"), sign_up(b.url, "alicenew")
    opened += [alice, carol, bob, alicenew]
    [remote_alice] = bob.search_v2(f"alice@{a_host}", resolve=True).accounts
    bob.account_follow(remote_alice.id)
    [local_alice] = carol.search_v2("alice", resolve=False).accounts
    carol.account_follow(local_alice.id)
    eventually(lambda: bob.account_relationships(remote_alice.id)[0].following, "A accepts")

    on_b = WebSession(b.url, "alicenew")
    opened.append(on_b)
    added = on_b.post(
        "/settings/migration/aliases", {"alias": f"alice@{a_host}"}, "/settings/migration"
    )
    assert added.status_code == 303, added.text
    on_a = WebSession(a.url, "alice")
    opened.append(on_a)
    moved = on_a.post(
        "/settings/migration/move",
        {"target": f"alicenew@{b_host}", "current_password": PASSWORD},
        "/settings/migration",
    )
    assert moved.status_code == 303, moved.text

    bob_id, carol_id = bob.me().id, carol.me().id
    eventually(lambda: _follows(bob, bob_id, "alicenew"), "bob follows alicenew")
    eventually(lambda: _follows(carol, carol_id, f"alicenew@{b_host}"), "carol follows alicenew")
    eventually(lambda: not _follows(bob, bob_id, f"alice@{a_host}"), "bob left the old account")
    assert not _follows(carol, carol_id, "alice")
    assert alice.me().moved is not None
    assert alice.me().moved.acct == f"alicenew@{b_host}"
    with httpx.Client() as http:
        assert "has moved to" in http.get(f"{a.url}/@alice").text
