from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Invalid, NotFound
from parley.domain.instance import service as instance
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts import polls
from parley.domain.posts.models import Poll, PollVote, Post, Visibility
from parley.domain.posts.polls import CLOSE_POLL_JOB, PollSpec
from parley.domain.posts.service import delete_post
from parley.domain.posts.views import hydrate
from parley.jobs.models import Job, JobState
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import count, member, reload, write

DAY = 86_400


async def _poll_of(runtime: Runtime, post: Post) -> Poll:
    async with runtime.db.reader() as session:
        poll = await session.scalar(select(Poll).where(Poll.post_id == post.id))
    assert poll is not None
    return poll


async def _vote(runtime: Runtime, voter: Account, poll_id: int, choices: list[int]) -> Poll:
    async with runtime.db.transaction() as session:
        return await polls.vote(session, voter=voter, poll_id=poll_id, choices=choices)


async def _end_now(runtime: Runtime, poll: Poll) -> None:
    past = utcnow() - timedelta(seconds=1)
    async with runtime.db.transaction() as session:
        await session.execute(update(Poll).where(Poll.id == poll.id).values(expires_at=past))
        await session.execute(update(Job).where(Job.kind == CLOSE_POLL_JOB).values(run_at=past))


async def test_a_poll_is_stored_with_its_options_and_its_closing_is_scheduled(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    spec = PollSpec(options=[" tea ", "coffee"], expires_in=DAY, multiple=False)
    post = await write(runtime, alice, "", poll=spec)  # a poll needs no text
    poll = await _poll_of(runtime, post)
    assert post.has_poll
    assert poll.options == [
        {"title": "tea", "votes_count": 0},
        {"title": "coffee", "votes_count": 0},
    ]
    assert poll.expires_at is not None
    async with runtime.db.reader() as session:
        job = await session.scalar(select(Job).where(Job.kind == CLOSE_POLL_JOB))
    assert job is not None
    assert job.payload == {"poll_id": poll.id}
    assert job.run_at == poll.expires_at


@pytest.mark.parametrize(
    ("options", "expires_in"),
    [
        (["only one"], DAY),
        (["a", "b", "c", "d", "e"], DAY),  # more than max_poll_options (4)
        (["a", ""], DAY),
        (["a", "x" * 51], DAY),
        (["same", "Same"], DAY),
        (["a", "b"], 60),  # shorter than five minutes
        (["a", "b"], 400 * DAY),
    ],
)
async def test_a_poll_outside_the_instance_limits_is_refused(
    runtime: Runtime, members: Members, options: list[str], expires_in: int
) -> None:
    alice = await member(members, "alice")
    with pytest.raises(Invalid) as caught:
        await write(runtime, alice, "q?", poll=PollSpec(options, expires_in, multiple=False))
    assert caught.value.field == "poll"
    assert await count(runtime, Post) == 0
    assert await count(runtime, Job, Job.kind == CLOSE_POLL_JOB) == 0


async def test_the_instance_may_allow_more_poll_options(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        await instance.update_instance_info(session, max_poll_options=6)
    post = await write(runtime, alice, "q", poll=PollSpec(list("abcdef"), DAY, multiple=False))
    assert len((await _poll_of(runtime, post)).options) == 6


async def test_voting_counts_votes_and_voters(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    post = await write(runtime, alice, "pick", poll=PollSpec(["a", "b", "c"], DAY, multiple=True))
    poll = await _poll_of(runtime, post)
    await _vote(runtime, bob, poll.id, [0, 2])
    await _vote(runtime, carol, poll.id, [2])
    await _vote(runtime, alice, poll.id, [1])  # authors may vote in their own polls
    stored = await _poll_of(runtime, post)
    assert [o["votes_count"] for o in stored.options] == [1, 1, 2]
    assert stored.votes_count == 4
    assert stored.voters_count == 3
    async with runtime.db.reader() as session:
        assert await polls.own_choices(session, poll_id=poll.id, account_id=bob.id) == [0, 2]


async def test_voting_twice_is_refused_and_changes_nothing(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "pick", poll=PollSpec(["a", "b"], DAY, multiple=False))
    poll = await _poll_of(runtime, post)
    await _vote(runtime, bob, poll.id, [0])
    with pytest.raises(Conflict, match="You have already voted on this poll"):
        await _vote(runtime, bob, poll.id, [1])
    stored = await _poll_of(runtime, post)
    assert [o["votes_count"] for o in stored.options] == [1, 0]
    assert stored.voters_count == 1


@pytest.mark.parametrize("choices", [[], [0, 1], [2], [-1], [0, 0]])
async def test_bad_choices_are_refused(
    runtime: Runtime, members: Members, choices: list[int]
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "pick", poll=PollSpec(["a", "b"], DAY, multiple=False))
    poll = await _poll_of(runtime, post)
    with pytest.raises(Invalid):
        await _vote(runtime, bob, poll.id, choices)
    assert await count(runtime, PollVote) == 0


async def test_an_ended_poll_takes_no_votes(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    post = await write(runtime, alice, "pick", poll=PollSpec(["a", "b"], DAY, multiple=False))
    poll = await _poll_of(runtime, post)
    await _end_now(runtime, poll)
    with pytest.raises(Invalid, match="The poll has already ended"):
        await _vote(runtime, bob, poll.id, [0])
    assert await count(runtime, PollVote) == 0


async def test_a_poll_one_cannot_see_cannot_be_voted_in(runtime: Runtime, members: Members) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    spec = PollSpec(["a", "b"], DAY, multiple=False)
    post = await write(runtime, alice, "secret", poll=spec, visibility=Visibility.FOLLOWERS)
    poll = await _poll_of(runtime, post)
    with pytest.raises(NotFound):
        await _vote(runtime, bob, poll.id, [0])


async def test_the_close_poll_job_tells_voters_and_the_author_once(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    carol = await member(members, "carol")
    await member(members, "dave")  # did not vote: not told
    post = await write(runtime, alice, "pick", poll=PollSpec(["a", "b"], DAY, multiple=True))
    poll = await _poll_of(runtime, post)
    await _vote(runtime, bob, poll.id, [0, 1])
    await _vote(runtime, carol, poll.id, [1])
    await runtime.worker.drain()
    assert await count(runtime, Notification, Notification.type == "poll") == 0  # not yet

    await _end_now(runtime, poll)
    await runtime.worker.drain()
    async with runtime.db.transaction() as session:  # a repeated job changes nothing
        assert await polls.close_poll(session, poll_id=poll.id) is False
    await runtime.worker.drain()

    async with runtime.db.reader() as session:
        told = (
            await session.execute(
                select(Notification.account_id, Notification.from_account_id).where(
                    Notification.type == NotificationType.POLL_ENDED,
                    Notification.post_id == post.id,
                )
            )
        ).all()
        job = await session.scalar(select(Job).where(Job.kind == CLOSE_POLL_JOB))
    assert sorted(told) == sorted([(bob.id, alice.id), (carol.id, alice.id), (alice.id, alice.id)])
    assert job is not None
    assert job.state == JobState.DONE
    assert (await _poll_of(runtime, post)).closed_notified_at is not None


async def test_the_close_poll_job_of_a_deleted_post_does_nothing(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    post = await write(runtime, alice, "pick", poll=PollSpec(["a", "b"], DAY, multiple=False))
    poll = await _poll_of(runtime, post)
    await _end_now(runtime, poll)
    async with runtime.db.transaction() as session:
        await delete_post(session, actor=alice, post_id=post.id)
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        job = await session.scalar(select(Job).where(Job.kind == CLOSE_POLL_JOB))
    assert job is not None
    assert job.state == JobState.DONE
    assert await count(runtime, Notification) == 0
    assert await reload(runtime, Poll, poll.id) is None


async def test_hidden_totals_are_hidden_from_all_but_the_author_until_the_poll_ends(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    spec = PollSpec(["a", "b"], DAY, multiple=False, hide_totals=True)
    post = await write(runtime, alice, "secret ballot", poll=spec)
    poll = await _poll_of(runtime, post)
    assert poll.hide_totals
    async with runtime.db.reader() as session:
        [as_bob] = await hydrate(session, bob.id, [post])
        [as_alice] = await hydrate(session, alice.id, [post])
    assert as_bob.poll is not None
    assert as_bob.poll.totals_hidden
    assert as_alice.poll is not None
    assert not as_alice.poll.totals_hidden
    await _end_now(runtime, poll)
    async with runtime.db.reader() as session:
        [ended] = await hydrate(session, bob.id, [post])
    assert ended.poll is not None
    assert ended.poll.expired
    assert not ended.poll.totals_hidden
