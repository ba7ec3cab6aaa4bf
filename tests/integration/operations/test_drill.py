"""The drill: move a live, federating instance to a new host, and its followers never notice.

Instance A (alice) and instance B (bob) are two live servers on loopback with real HTTP
between them (signatures, inboxes, the job workers). A's domain is a port on a tiny TCP
forwarder, the way a DNS name points at a machine. Bob follows alice. Then A is stopped,
backed up with `parley backup`, destroyed (folder and database gone), restored with
`parley restore` into a new folder and a new database, served on ANOTHER port, and the
forwarder is switched to it, as DNS would be. Alice posts; bob gets it in his home timeline
without doing anything: B still follows A, and the signatures verify with the same keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from mastodon import Mastodon

from parley.cli import main
from parley.config import Settings
from tests.integration.operations.conftest import Engines, instance_settings
from tests.integration.streaming.conftest import Live, free_port, start_live, stop_live

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow"]
WAIT = 30.0
T = TypeVar("T")

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


class Forwarder:
    """A loopback port that forwards each TCP connection to `target` (switchable)."""

    def __init__(self) -> None:
        self.target: int | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connect, "127.0.0.1", 0), self.loop
        ).result(timeout=10)
        self.port: int = self.server.sockets[0].getsockname()[1]

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.target is None:
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target
            )
        except OSError:
            writer.close()
            return
        pipes = [
            asyncio.ensure_future(self._pipe(reader, upstream_writer)),
            asyncio.ensure_future(self._pipe(upstream_reader, writer)),
        ]
        # When either side hangs up, hang up the other: no half-open keep-alive connection
        # may outlive the server behind it.
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        for end in (writer, upstream_writer):
            end.close()

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def forwarder() -> Iterator[Forwarder]:
    made = Forwarder()
    yield made
    made.close()


def settings_for(domain: str, database_url: str, folder: Path) -> Settings:
    """A live instance: its worker in-process, federating over plain http on loopback."""
    return instance_settings(
        database_url, folder, domain=domain, secret_key=f"secret-of-{folder.name}",
        embedded_worker=True, federation_allow_insecure=True,
    )  # fmt: skip


def environment(settings: Settings) -> dict[str, str]:
    return {
        "PARLEY_DOMAIN": settings.domain,
        "PARLEY_DATABASE_URL": settings.database_url,
        "PARLEY_DATA_DIR": str(settings.data_dir),
        "PARLEY_MEDIA_DIR": str(settings.media_dir),
        "PARLEY_SECRET_KEY": settings.secret_key,
    }


def sign_up(base_url: str, username: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        f"{username}'s app", scopes=SCOPES, api_base_url=base_url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base_url)
    api.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, scopes=SCOPES)
    return api


def eventually(check: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + WAIT
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


def home_post(reader: Mastodon, text: str) -> Any:
    return next((s for s in reader.timeline_home() if text in s.content), None)


def test_a_moved_instance_keeps_its_followers_on_another_server(
    engines: Engines,
    forwarder: Forwarder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kind = engines.kind
    for name in ("a-old", "b", "a-new"):
        (tmp_path / name).mkdir()
    domain = f"127.0.0.1:{forwarder.port}"
    old_url = engines[kind].fresh(tmp_path / "a-old")
    old = settings_for(domain, old_url, tmp_path / "a-old")
    b_port = free_port()
    b_settings = settings_for(
        f"127.0.0.1:{b_port}", engines[kind].fresh(tmp_path / "b"), tmp_path / "b"
    )
    servers: list[Live] = []
    try:
        a = start_live(old, monkeypatch, port=free_port())
        servers.append(a)
        forwarder.target = int(a.url.rsplit(":", 1)[1])
        b = start_live(b_settings, monkeypatch)
        servers.append(b)

        alice = sign_up(f"http://{domain}", "alice")
        bob = sign_up(b.url, "bob")
        found = bob.search_v2(f"alice@{domain}", resolve=True).accounts
        assert [account.acct for account in found] == [f"alice@{domain}"]
        remote_alice = found[0]
        bob.account_follow(remote_alice.id)
        eventually(
            lambda: bob.account_relationships(remote_alice.id)[0].following,
            "A accepts B's follow",
        )
        alice.status_post("Before the move")
        eventually(lambda: home_post(bob, "Before the move"), "bob sees alice's post")

        # Stop A, back it up, destroy it.
        stop_live(servers.pop(0))
        archive = tmp_path / "a.zip"
        runner = CliRunner()
        made = runner.invoke(main, ["backup", str(archive)], env=environment(old))
        assert made.exit_code == 0, made.output
        shutil.rmtree(old.data_dir)
        if kind == "postgresql":
            engines[kind].release(old_url)

        # A new folder and a new database on the new host, the same domain.
        new_folder = tmp_path / "a-new"
        new_url = (
            f"sqlite+aiosqlite:///{new_folder / 'parley.db'}"
            if kind == "sqlite"
            else engines[kind].fresh(new_folder)
        )
        new = settings_for(domain, new_url, new_folder).model_copy(
            update={"secret_key": "a-new-secret"}
        )
        restored = runner.invoke(main, ["restore", str(archive)], env=environment(new))
        assert restored.exit_code == 0, restored.output
        a2 = start_live(new, monkeypatch, port=free_port())
        servers.append(a2)
        assert a2.url != a.url
        forwarder.target = int(a2.url.rsplit(":", 1)[1])  # the DNS switch

        # Alice's app keeps its token (it is in the archive) and reaches the new host.
        assert alice.account_verify_credentials().username == "alice"
        post = alice.status_post("After the move, same keys")
        copy = eventually(
            lambda: home_post(bob, "After the move, same keys"), "bob sees the moved A's post"
        )
        assert copy.account.id == remote_alice.id
        assert copy.uri == post.uri
        assert bob.account_relationships(remote_alice.id)[0].following
    finally:
        for server in servers:
            stop_live(server)
