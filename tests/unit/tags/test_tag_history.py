"""The tag history query: UTC days by when the post arrived, a whole page of tags at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.domain.posts.models import Tag
from parley.domain.tags.history import tag_history
from parley.runtime import Runtime
from tests.conftest import Members


async def _tag_ids(runtime: Runtime, *names: str) -> list[int]:
    async with runtime.db.reader() as session:
        rows = await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names)))
        found: dict[str, int] = dict(rows.all())
    return [found[n] for n in names]


async def _write(runtime: Runtime, account_id: int, text: str) -> None:
    async with runtime.db.transaction() as session:
        author = await session.get(Account, account_id)
        assert author is not None
        await posts.create_post(session, runtime.ctx, author=author, text=text)


async def test_uses_move_back_a_day_each_day_and_leave_after_a_week(
    runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    await _write(runtime, alice.account_id, "#one and #two")
    await _write(runtime, alice.account_id, "#one again")
    one, two = await _tag_ids(runtime, "one", "two")
    now = utcnow()

    async with runtime.db.reader() as session:
        today = await tag_history(session, [one, two], now=now)
        later = await tag_history(session, [one, two], now=now + timedelta(days=2))
        gone = await tag_history(session, [one], now=now + timedelta(days=7))
        empty = await tag_history(session, [])

    assert [(d.uses, d.accounts) for d in today[one]][:2] == [(2, 1), (0, 0)]
    assert (today[two][0].uses, today[two][0].accounts) == (1, 1)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC)
    assert today[one][0].day == midnight
    assert [d.uses for d in later[one]] == [0, 0, 2, 0, 0, 0, 0]
    assert later[one][2].day == midnight
    assert [d.uses for d in gone[one]] == [0] * 7
    assert empty == {}


async def test_a_suspended_authors_posts_do_not_count(runtime: Runtime, members: Members) -> None:
    alice, bob = await members.create("alice"), await members.create("bob")
    await _write(runtime, alice.account_id, "#quiet")
    await _write(runtime, bob.account_id, "#quiet")
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == bob.account_id).values(suspended_at=utcnow())
        )
    (quiet,) = await _tag_ids(runtime, "quiet")
    async with runtime.db.reader() as session:
        history = await tag_history(session, [quiet])
    assert (history[quiet][0].uses, history[quiet][0].accounts) == (1, 1)
