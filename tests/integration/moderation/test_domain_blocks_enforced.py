"""Domain blocks take effect: a suspended server's activities are refused at the inbox, a
limited server's accounts are limited (also ones first seen after the block), and limited
accounts leave the public timelines of non-followers."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.moderation import blocks
from parley.domain.moderation.models import ActionKind, Severity
from parley.domain.pagination import PageRequest
from parley.domain.timelines.queries import public_timeline
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.test_report_doors import _post
from tests.unit.activitypub.conftest import Remote
from tests.unit.activitypub.test_inbox import follow
from tests.unit.moderation.factories import act, staff
from tests.unit.posts.factories import follow as follow_row
from tests.unit.posts.factories import member


async def _block(runtime: Runtime, members: Members, domain: str, severity: str) -> None:
    admin = await staff(members, "boss", "admin")
    async with runtime.db.transaction() as session:
        await blocks.block_domain(
            session, actor=admin, spec=blocks.DomainBlockSpec(domain, severity)
        )


async def test_a_suspended_server_is_refused_at_the_inbox(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    await members.create("alice")
    await _block(runtime, members, "evil.example", Severity.SUSPEND)
    bob = remote.actor("bob", host="evil.example")
    answer = await remote.deliver(client, follow(bob.uri), bob)
    assert answer.status_code == 403
    carol = remote.actor("carol", host="fine.example", key_index=1)
    assert (await remote.deliver(client, follow(carol.uri), carol)).status_code == 202


async def test_accounts_of_a_limited_server_are_limited_even_when_new(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    await members.create("alice")
    await _block(runtime, members, "loud.example", Severity.LIMIT)
    bob = remote.actor("bob", host="loud.example")
    assert (await remote.deliver(client, follow(bob.uri), bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        stored = await session.scalar(select(Account).where(Account.uri == bob.uri))
    assert stored is not None
    assert stored.silenced_at is not None


async def test_a_limited_account_leaves_public_timelines_except_for_followers(
    runtime: Runtime, members: Members
) -> None:
    bob, fan, stranger = [await member(members, n) for n in ("bob", "fan", "stranger")]
    mod = await staff(members, "mod")
    post = await _post(runtime, bob.id, "loud opinions")
    await follow_row(runtime, fan, bob)
    await act(runtime, mod, kind=ActionKind.LIMIT, target_account_id=bob.id, reason="Spam")
    async with runtime.db.reader() as session:
        for viewer, expected in ((stranger.id, []), (None, []), (fan.id, [post.id]),
                                 (bob.id, [post.id])):  # fmt: skip
            found = await public_timeline(session, viewer, PageRequest(limit=20), local=True)
            assert [p.id for p in found] == expected, viewer
