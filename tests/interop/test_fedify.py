"""Federation with an independent implementation: a Fedify server (tests/interop/fedify) and a
live Parley, both on loopback, over real HTTP with real signatures both ways.

Fedify 2.3.6 and a Node 22 binary come from npm, pinned in tests/interop/fedify's lockfile and
installed there with `npm ci` (scripts/install-interop, or on first run); node_modules is not
committed. The peer's control API (see peer.mjs) lets the test drive it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from parley.activitypub.federation import Federation
from parley.activitypub.fetch import webfinger
from parley.config import Settings
from parley.domain.accounts.models import Account
from parley.domain.posts.models import Post
from parley.domain.posts.service import create_post
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.streaming.conftest import Live, free_port

HERE = Path(__file__).parent / "fedify"
NODE = HERE / "node_modules" / ".bin" / "node"

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The peer lives on http://127.0.0.1:<port>: only the test setting lets Parley talk to it.
    return settings.model_copy(update={"federation_allow_insecure": True})


async def _installed() -> Path:
    if not NODE.exists() or not (HERE / "node_modules" / "@fedify" / "fedify").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: the Fedify interop test needs it")
        process = await asyncio.create_subprocess_exec(
            npm, "ci", "--no-audit", "--no-fund", cwd=HERE
        )
        assert await process.wait() == 0, "npm ci in tests/interop/fedify failed"
    return NODE


async def _until(what: str, check: Callable[[], Awaitable[Any]], seconds: float = 60) -> Any:
    async with asyncio.timeout(seconds):
        while True:
            found = await check()
            if found:
                return found
            await asyncio.sleep(0.3)
    raise AssertionError(f"never happened: {what}")  # pragma: no cover


async def test_fedify_and_parley_follow_each_other_and_receive_posts(
    live: Live, members: Members, runtime: Runtime, app: Starlette
) -> None:
    node = await _installed()
    port = free_port()
    peer_process = await asyncio.create_subprocess_exec(
        str(node),
        "peer.mjs",
        cwd=HERE,
        env={**os.environ, "PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert peer_process.stdout is not None
        ready = await asyncio.wait_for(peer_process.stdout.readline(), 60)
        assert ready.startswith(b"ready"), ready
        await _both_ways(live, members, runtime, app, port)
    finally:
        peer_process.terminate()
        await peer_process.wait()


async def _both_ways(
    live: Live, members: Members, runtime: Runtime, app: Starlette, port: int
) -> None:
    alice = await members.create("alice")
    alice_uri = f"{live.url}/users/alice"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as peer:

        async def state() -> dict[str, Any]:
            answer = await peer.get("/control/state")
            result: dict[str, Any] = answer.json()
            return result

        # Fedify resolves alice by WebFinger and follows her; Parley accepts (signed by alice).
        followed = await peer.post("/control/follow", json={"resource": alice_uri})
        assert followed.status_code == 200, followed.text
        assert followed.json() == {
            "subject": f"acct:alice@{live.url.removeprefix('http://')}",
            "actor": alice_uri,
        }

        async def accepted() -> bool:
            return any(a["actor"] == alice_uri for a in (await state())["accepted"])

        await _until("Fedify gets Parley's Accept", accepted)

        # alice posts: Fedify receives the Create and verifies Parley's signature on it.
        async with runtime.db.transaction() as session:
            author = await session.get(Account, alice.account_id)
            assert author is not None
            await create_post(session, runtime.ctx, author=author, text="Hello Fedify, from Parley")

        async def note_arrived() -> list[dict[str, Any]]:
            return [
                n
                for n in (await state())["notes"]
                if "Hello Fedify, from Parley" in (n["content"] or "")
            ]

        [note] = await _until("Fedify gets alice's Create(Note)", note_arrived)
        assert note["attributedTo"] == alice_uri
        assert note["actor"] == alice_uri

        # The other way: alice finds the Fedify actor by WebFinger and follows it.
        fed: Federation = app.state.federation
        async with fed.client() as http:
            remote = await webfinger(fed, http, f"fed@127.0.0.1:{port}")
        assert remote.uri == f"http://127.0.0.1:{port}/users/fed"
        async with runtime.db.transaction() as session:
            me = await session.get(Account, alice.account_id)
            target = await session.get(Account, remote.id)
            assert me is not None
            assert target is not None
            await relationships.follow_account(session, follower=me, target=target)

        async def following() -> bool:
            async with runtime.db.reader() as session:
                row = await session.scalar(
                    select(Follow.id).where(
                        Follow.account_id == alice.account_id, Follow.target_id == remote.id
                    )
                )
            return row is not None

        await _until("Parley applies Fedify's Accept", following)
        assert alice_uri in (await state())["followers"]

        posted = await peer.post("/control/post", json={"text": "<p>Hello Parley, from Fedify</p>"})
        assert posted.status_code == 200, posted.text

        async def stored() -> list[str]:
            async with runtime.db.reader() as session:
                return list(
                    await session.scalars(
                        select(Post.content_html).where(Post.account_id == remote.id)
                    )
                )

        [content] = await _until("Parley stores Fedify's Note", stored)
        assert "Hello Parley, from Fedify" in content
        assert (await state())["errors"] == []
