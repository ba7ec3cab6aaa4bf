"""Two Parley instances in one process, talking ActivityPub over an in-memory network.

a.test and b.test are separate apps with separate databases; every request one makes to the
other goes through the real outbound client (SSRF guard, signing) and the other's real
routes (signature verification, inbox, jobs). Only DNS and sockets are faked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from parley.activitypub.federation import Federation
from parley.activitypub.fetch import webfinger
from parley.activitypub.jobs import build_federation_handlers
from parley.app import create_app
from parley.config import Settings
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account
from parley.domain.federation.models import InboxActivity
from parley.domain.interactions import service as interactions
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow, FollowRequest
from parley.domain.timelines.models import FeedEntry
from parley.jobs.models import Job, JobState
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.databases import TestDatabases


class Network(httpx.AsyncBaseTransport):
    """Routes each request to the app named by its Host header."""

    def __init__(self) -> None:
        self.hosts: dict[str, httpx.ASGITransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.hosts[request.headers["host"]].handle_async_request(request)


async def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


@dataclass
class Instance:
    app: Starlette
    runtime: Runtime
    fed: Federation
    worker: Worker

    async def member(self, username: str) -> Account:
        async with self.runtime.db.transaction() as session:
            user = await accounts.register(
                session,
                self.runtime.ctx,
                username=username,
                email=f"{username}@example.org",
                password="correct horse battery staple",
                rules_accepted=True,
            )
            account = await session.get(Account, user.account_id)
            assert account is not None
            return account


async def settle(*instances: Instance) -> None:
    """Run every instance's jobs until none is left; no federation work may have failed."""
    for _ in range(20):
        if not any([await i.worker.drain() for i in instances]):
            break
    else:
        raise AssertionError("the instances never settled")
    for instance in instances:
        async with instance.runtime.db.reader() as session:
            failed = list(
                await session.scalars(
                    select(Job.kind).where(Job.state != JobState.DONE, Job.kind.like("ap.%"))
                )
            )
            errors = list(
                await session.scalars(
                    select(InboxActivity.error).where(InboxActivity.error.is_not(None))
                )
            )
        assert failed == []
        assert errors == []


@pytest.fixture
async def pair(
    databases: TestDatabases, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance]]:
    network = Network()
    made: list[Instance] = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        settings = Settings(
            domain=f"{name}.test",
            database_url=databases.fresh(folder),
            data_dir=folder,
            secret_key=f"secret-{name}",
            password_time_cost=1,
            password_memory_cost_kib=1024,
            embedded_worker=False,
            federation_allow_insecure=True,
        )
        app = create_app(settings, run_worker=False)
        runtime: Runtime = app.state.runtime
        fed: Federation = app.state.federation
        fed.transport, fed.resolver = network, loopback
        network.hosts[settings.domain] = httpx.ASGITransport(app=app)
        worker = Worker(runtime.db, build_federation_handlers(runtime, fed))
        made.append(Instance(app, runtime, fed, worker))
    yield made[0], made[1]
    for instance in made:
        await instance.runtime.db.dispose()


async def follow_alice_from_bob(a: Instance, b: Instance) -> tuple[Account, Account]:
    alice, bob = await a.member("alice"), await b.member("bob")
    async with b.fed.client() as http:
        remote_alice = await webfinger(b.fed, http, "alice@a.test")
    assert remote_alice.uri == "https://a.test/users/alice"
    async with b.runtime.db.transaction() as session:
        follower = await session.get(Account, bob.id)
        target = await session.get(Account, remote_alice.id)
        assert follower is not None
        assert target is not None
        state = await relationships.follow_account(session, follower=follower, target=target)
    assert state == relationships.REQUESTED
    await settle(a, b)
    return alice, bob


async def test_a_member_of_b_follows_a_member_of_a(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice, bob = await follow_alice_from_bob(a, b)
    async with a.runtime.db.reader() as session:
        remote_bob = await session.scalar(select(Account).where(Account.uri == bob.uri))
        assert remote_bob is not None
        assert remote_bob.domain == "b.test"
        follow = await session.scalar(select(Follow).where(Follow.target_id == alice.id))
        assert follow is not None
        assert follow.account_id == remote_bob.id
    async with b.runtime.db.reader() as session:
        accepted = await session.scalar(select(Follow).where(Follow.account_id == bob.id))
        pending = await session.scalar(select(FollowRequest))
        me = await session.get(Account, bob.id)
    assert accepted is not None
    assert pending is None
    assert me is not None
    assert me.following_count == 1


async def test_posts_upvotes_and_deletes_travel_between_instances(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    alice, bob = await follow_alice_from_bob(a, b)
    async with a.runtime.db.transaction() as session:
        author = await session.get(Account, alice.id)
        assert author is not None
        post = await posts.create_post(
            session, a.runtime.ctx, author=author, text="Hello from A #first", visibility="public"
        )
        secret = await posts.create_post(
            session, a.runtime.ctx, author=author, text="friends only", visibility="private"
        )
    await settle(a, b)

    async with b.runtime.db.reader() as session:
        copy = await session.scalar(select(Post).where(Post.uri == post.uri))
        secret_copy = await session.scalar(select(Post).where(Post.uri == secret.uri))
        assert copy is not None
        assert secret_copy is not None
        in_home = await session.scalar(
            select(FeedEntry).where(FeedEntry.account_id == bob.id, FeedEntry.post_id == copy.id)
        )
    assert copy.local is False
    assert "Hello from A" in copy.content_html
    assert secret_copy.visibility == "private"
    assert in_home is not None

    async with b.runtime.db.transaction() as session:
        me = await session.get(Account, bob.id)
        assert me is not None
        await interactions.upvote_post(session, actor=me, post_id=copy.id)
    await settle(a, b)
    async with a.runtime.db.reader() as session:
        original = await session.get(Post, post.id)
    assert original is not None
    assert original.upvotes_count == 1

    async with a.runtime.db.transaction() as session:
        author = await session.get(Account, alice.id)
        assert author is not None
        await posts.delete_post(session, actor=author, post_id=post.id)
    await settle(a, b)
    async with b.runtime.db.reader() as session:
        assert await session.scalar(select(Post).where(Post.uri == post.uri)) is None


async def test_echo_and_unfollow_travel_between_instances(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice, bob = await follow_alice_from_bob(a, b)
    async with a.runtime.db.transaction() as session:
        author = await session.get(Account, alice.id)
        assert author is not None
        post = await posts.create_post(
            session, a.runtime.ctx, author=author, text="echo me", visibility="public"
        )
    await settle(a, b)
    async with b.runtime.db.transaction() as session:
        me = await session.get(Account, bob.id)
        copy = await session.scalar(select(Post).where(Post.uri == post.uri))
        assert me is not None
        assert copy is not None
        await posts.echo_post(session, b.runtime.ctx, actor=me, post_id=copy.id)
    await settle(a, b)
    async with a.runtime.db.reader() as session:
        original = await session.get(Post, post.id)
        echo = await session.scalar(select(Post).where(Post.echo_of_id == post.id))
    assert original is not None
    assert original.echoes_count == 1
    assert echo is not None
    assert echo.uri.startswith("https://b.test/users/bob/statuses/")

    async with b.runtime.db.transaction() as session:
        me = await session.get(Account, bob.id)
        target = await session.scalar(select(Account).where(Account.uri == alice.uri))
        assert me is not None
        assert target is not None
        await relationships.unfollow_account(session, follower=me, target=target)
    await settle(a, b)
    async with a.runtime.db.reader() as session:
        assert await session.scalar(select(Follow)) is None
        author = await session.get(Account, alice.id)
    assert author is not None
    assert author.followers_count == 0
