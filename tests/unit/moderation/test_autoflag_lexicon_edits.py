"""Admins edit the threat lexicon: the shipped defaults become theirs, bad entries are refused
with nothing changed, and what they save is what posts are scored against."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.moderation.autoflag import lexicon, rules
from parley.domain.moderation.autoflag.models import LexiconEntry
from parley.domain.moderation.models import AuditLogEntry
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import staff
from tests.unit.posts.factories import count, member, write


async def test_admins_edit_the_lexicon_and_posts_are_scored_against_their_edits(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "admin", "admin")
    alice = await member(members, "alice")
    async with runtime.db.transaction() as session:
        shown = await rules.lexicon_for_admin(session, actor=admin)
    assert [e.pattern for e in shown] == [p for p, _, _ in lexicon.DEFAULTS]
    assert all(e.id is not None for e in shown)

    async with runtime.db.transaction() as session:
        await rules.save_lexicon_entry(
            session, actor=admin, pattern="{feed|throw} <target> to the {sharks|wolves}",
            weight=1.5, note="local idiom",
        )  # fmt: skip
        first = shown[0].id
        assert first is not None
        await rules.remove_lexicon_entry(session, actor=admin, entry_id=first)
    assert (await write(runtime, alice, "I'll throw you to the wolves")).held
    assert not (await write(runtime, alice, "I will kill you")).held  # its entry was removed

    async with runtime.db.reader() as session:
        actions = list(await session.scalars(select(AuditLogEntry.action)))
    assert actions == ["autoflag.lexicon.add", "autoflag.lexicon.remove"]


@pytest.mark.parametrize(
    ("pattern", "weight", "is_regex", "field"),
    [
        ("", 1.0, False, "pattern"),
        ("   ", 1.0, False, "pattern"),
        ("kill " * 70, 1.0, False, "pattern"),  # too long
        ("{kill|shoot <target>", 1.0, False, "pattern"),
        ("(unclosed", 1.0, True, "pattern"),
        ("(a+)+", 1.0, True, "pattern"),
        ("kill you", 0.0, False, "weight"),
        ("kill you", None, False, "weight"),
    ],
)
async def test_a_bad_entry_is_refused_and_nothing_changes(
    runtime: Runtime,
    members: Members,
    pattern: str,
    weight: float | None,
    is_regex: bool,
    field: str,
) -> None:
    admin = await staff(members, "admin", "admin")
    async with runtime.db.transaction() as session:
        await rules.lexicon_for_admin(session, actor=admin)
    before = await count(runtime, LexiconEntry)
    async with runtime.db.reader() as session:
        entry_id = await session.scalar(select(LexiconEntry.id).limit(1))
        original = await session.get(LexiconEntry, entry_id)
        assert original is not None
        original_pattern = original.pattern
    for target in (None, entry_id):
        with pytest.raises(Invalid) as refused:
            async with runtime.db.transaction() as session:
                await rules.save_lexicon_entry(
                    session, actor=admin, pattern=pattern, weight=weight, is_regex=is_regex,
                    entry_id=target,
                )  # fmt: skip
        assert refused.value.field == field
    assert await count(runtime, LexiconEntry) == before
    async with runtime.db.reader() as session:
        unchanged = await session.get(LexiconEntry, entry_id)
        assert unchanged is not None
        assert unchanged.pattern == original_pattern
    assert await count(runtime, AuditLogEntry) == 0


async def test_members_and_moderators_cannot_edit_the_lexicon(
    runtime: Runtime, members: Members
) -> None:
    mod = await staff(members, "mod")
    alice = await member(members, "alice")
    for actor in (mod, alice):
        async with runtime.db.transaction() as session:
            with pytest.raises(Forbidden):
                await rules.lexicon_for_admin(session, actor=actor)
            with pytest.raises(Forbidden):
                await rules.save_lexicon_entry(session, actor=actor, pattern="x y", weight=1)
    assert await count(runtime, LexiconEntry) == 0


async def test_editing_or_removing_a_missing_entry_says_so(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "admin", "admin")
    async with runtime.db.transaction() as session:
        with pytest.raises(NotFound):
            await rules.remove_lexicon_entry(session, actor=admin, entry_id=424242)
        with pytest.raises(NotFound):
            await rules.save_lexicon_entry(
                session, actor=admin, pattern="kill you", weight=1, entry_id=424242
            )
