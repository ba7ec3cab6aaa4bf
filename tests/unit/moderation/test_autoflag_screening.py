"""Scoring posts when they are written or edited, and what each rule's action does:
hold (seen by the author only, published on approval), report, label."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound
from parley.domain.moderation.autoflag import decisions, rules
from parley.domain.moderation.autoflag.labels import labels_for
from parley.domain.moderation.autoflag.models import FlagAction, PostHold, RuleKey
from parley.domain.moderation.models import Report, Strike
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.posts.visibility import can_see
from parley.domain.timelines.models import FeedEntry
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import staff
from tests.unit.posts.factories import count, follow, member, reload, write

THREAT = "I will kill you @bob"


async def set_rule(
    runtime: Runtime, admin: Account, key: str, action: str, threshold: float, **params: int
) -> None:
    async with runtime.db.transaction() as session:
        await rules.update_rule(
            session, actor=admin, key=key, action=action, threshold=threshold, params=params
        )


async def labels_of(runtime: Runtime, post_id: int) -> list[str]:
    async with runtime.db.reader() as session:
        return [label.label for label in (await labels_for(session, [post_id]))[post_id]]


async def events_for(runtime: Runtime, post_id: int) -> list[str]:
    async with runtime.db.reader() as session:
        jobs = await session.scalars(select(Job).where(Job.kind.like("event.post.%")))
        return [j.kind for j in jobs if j.payload.get("post_id") == post_id]


async def sees(runtime: Runtime, viewer: Account | None, post_id: int) -> bool:
    async with runtime.db.reader() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return await can_see(session, None if viewer is None else viewer.id, post)


async def test_a_threat_is_held_seen_by_its_author_only_and_published_on_approval(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    bob = await member(members, "bob")
    fan = await member(members, "fan")
    mod = await staff(members, "mod")
    await follow(runtime, fan, alice)
    post = await write(runtime, alice, THREAT)

    assert post.held
    assert await sees(runtime, alice, post.id)
    assert not await sees(runtime, fan, post.id)
    assert not await sees(runtime, None, post.id)
    assert await count(runtime, FeedEntry, FeedEntry.post_id == post.id) == 0
    assert await count(runtime, Notification, Notification.post_id == post.id) == 0
    assert await events_for(runtime, post.id) == []  # nothing for federation or streaming
    assert await labels_of(runtime, post.id) == ["auto:threat"]

    async with runtime.db.transaction() as session:
        await decisions.approve_held_post(session, moderator=mod, post_id=post.id)
    assert await sees(runtime, fan, post.id)
    assert await count(runtime, FeedEntry, FeedEntry.account_id == fan.id) == 1
    mention = Notification.account_id == bob.id, Notification.type == NotificationType.MENTION
    assert await count(runtime, Notification, *mention) == 1
    assert await events_for(runtime, post.id) == ["event.post.created"]
    assert await labels_of(runtime, post.id) == ["auto:threat", "approved"]
    assert await count(runtime, PostHold) == 0


async def test_a_rejected_held_post_is_removed_and_its_author_told_why(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    await member(members, "bob")
    mod = await staff(members, "mod")
    post = await write(runtime, alice, THREAT)
    async with runtime.db.transaction() as session:
        with pytest.raises(Invalid):
            await decisions.reject_held_post(session, moderator=mod, post_id=post.id, reason=" ")
    assert await reload(runtime, Post, post.id) is not None
    async with runtime.db.transaction() as session:
        await decisions.reject_held_post(
            session, moderator=mod, post_id=post.id, reason="Threats of violence"
        )
    assert await reload(runtime, Post, post.id) is None
    async with runtime.db.reader() as session:
        strike = await session.scalar(select(Strike).where(Strike.target_account_id == alice.id))
        assert strike is not None
        assert strike.reason == "Threats of violence"
        assert strike.post_ids == [post.id]
    warned = Notification.account_id == alice.id, Notification.type == "moderation_warning"
    assert await count(runtime, Notification, *warned) == 1
    # The labels outlive the post: the record of what was decided.
    assert await labels_of(runtime, post.id) == ["auto:threat", "mod:delete_post", "rejected"]
    async with runtime.db.transaction() as session:
        with pytest.raises(NotFound):
            await decisions.approve_held_post(session, moderator=mod, post_id=post.id)


async def test_decisions_need_a_moderator_other_than_the_author_and_a_post_still_held(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    mod = await staff(members, "mod")
    other = await staff(members, "othermod")
    held = await write(runtime, mod, "I will kill you")
    clean = await write(runtime, alice, "a lovely day")
    async with runtime.db.transaction() as session:
        with pytest.raises(Forbidden):
            await decisions.approve_held_post(session, moderator=alice, post_id=held.id)
        with pytest.raises(Forbidden):
            await decisions.approve_held_post(session, moderator=mod, post_id=held.id)
        with pytest.raises(Conflict):
            await decisions.approve_held_post(session, moderator=other, post_id=clean.id)
        await decisions.approve_held_post(session, moderator=other, post_id=held.id)
    async with runtime.db.transaction() as session:
        with pytest.raises(Conflict):
            await decisions.approve_held_post(session, moderator=other, post_id=held.id)


async def test_an_edit_into_a_threat_holds_the_post_and_approval_sends_the_edit(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    fan = await member(members, "fan")
    mod = await staff(members, "mod")
    await follow(runtime, fan, alice)
    post = await write(runtime, alice, "a calm parley")
    async with runtime.db.transaction() as session:
        author = await session.get(Account, alice.id)
        assert author is not None
        await posts.edit_post(
            session, runtime.ctx, editor=author, post_id=post.id, text="I will kill you all"
        )
    assert not await sees(runtime, fan, post.id)
    async with runtime.db.reader() as session:
        hold = await session.get(PostHold, post.id)
        assert hold is not None
        assert hold.was_published
    assert await events_for(runtime, post.id) == ["event.post.created"]  # no Update yet
    async with runtime.db.transaction() as session:
        await decisions.approve_held_post(session, moderator=mod, post_id=post.id)
    assert await sees(runtime, fan, post.id)
    assert await events_for(runtime, post.id) == ["event.post.created", "event.post.edited"]


async def test_a_profane_post_with_the_report_action_lands_in_the_queue(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "admin", "admin")
    alice = await member(members, "alice")
    await set_rule(runtime, admin, RuleKey.PROFANITY, FlagAction.REPORT, 0.8)
    post = await write(runtime, alice, "fuck you, you stupid piece of shit")
    assert not post.held
    assert await sees(runtime, None, post.id)
    async with runtime.db.reader() as session:
        report = await session.scalar(select(Report))
    assert report is not None
    assert report.account_id is None  # filed by the system
    assert report.target_account_id == alice.id
    assert report.post_ids == [post.id]
    assert report.comment.startswith("Automated flag: profanity (score ")
    assert await labels_of(runtime, post.id) == ["auto:profanity"]
    clean = await write(runtime, alice, "what a lovely morning for a walk")
    assert await labels_of(runtime, clean.id) == []
    assert await count(runtime, Report) == 1


async def test_the_label_action_only_labels(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "admin", "admin")
    alice = await member(members, "alice")
    await member(members, "bob")
    await set_rule(runtime, admin, RuleKey.THREAT, FlagAction.LABEL, 1.0)
    post = await write(runtime, alice, THREAT)
    assert not post.held
    assert await sees(runtime, None, post.id)
    assert await count(runtime, Report) == 0
    assert await count(runtime, PostHold) == 0
    assert await labels_of(runtime, post.id) == ["auto:threat"]
    assert await events_for(runtime, post.id) == ["event.post.created"]


async def test_a_rule_turned_off_is_not_scored(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "admin", "admin")
    alice = await member(members, "alice")
    await set_rule(runtime, admin, RuleKey.THREAT, FlagAction.OFF, 1.0)
    post = await write(runtime, alice, "I will kill you")
    assert not post.held
    assert "auto:threat" not in await labels_of(runtime, post.id)


async def test_spam_fires_for_a_new_account_mass_mentioning_strangers_with_a_link(
    runtime: Runtime, members: Members
) -> None:
    spammer = await member(members, "spammer")
    names = [f"target{i}" for i in range(4)]
    for name in names:
        await member(members, name)
    mentions = " ".join(f"@{n}" for n in names)
    spam = await write(runtime, spammer, f"{mentions} cheap pills at https://pills.example/buy")
    assert spam.held
    assert await labels_of(runtime, spam.id) == ["auto:spam"]
    assert await count(runtime, Notification, Notification.post_id == spam.id) == 0

    # The same new account greeting friends, or sharing a link, is fine.
    for name in names:
        async with runtime.db.reader() as session:
            friend = await session.scalar(select(Account).where(Account.username == name))
        assert friend is not None
        await follow(runtime, friend, spammer)
    normal = await write(runtime, spammer, f"{mentions} our photos: https://photos.example/1")
    assert not normal.held
    assert await labels_of(runtime, normal.id) == []


async def test_spam_needs_every_signal_by_default(runtime: Runtime, members: Members) -> None:
    veteran = await member(members, "veteran")
    for i in range(4):
        await member(members, f"t{i}")
    mentions = " ".join(f"@t{i}" for i in range(4))
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account)
            .where(Account.id == veteran.id)
            .values(created_at=utcnow() - timedelta(days=400))
        )
    async with runtime.db.reader() as session:
        veteran = await session.get(Account, veteran.id) or veteran
    old_account = await write(runtime, veteran, f"{mentions} see https://news.example/story")
    assert not old_account.held
    newbie = await member(members, "newbie")
    no_link = await write(runtime, newbie, f"{mentions} welcome, everyone!")
    assert not no_link.held
    assert await labels_of(runtime, old_account.id) == []


async def test_rule_changes_are_for_admins_and_checked(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "admin", "admin")
    mod = await staff(members, "mod")
    async with runtime.db.transaction() as session:
        with pytest.raises(Forbidden):
            await rules.update_rule(
                session, actor=mod, key=RuleKey.THREAT, action="label", threshold=1
            )
        cases: list[tuple[str, str, float, dict[str, Any], str]] = [
            (RuleKey.THREAT, "delete", 1.0, {}, "action"),
            (RuleKey.PROFANITY, "report", 1.5, {}, "threshold"),
            (RuleKey.PROFANITY, "report", 0, {}, "threshold"),
            (RuleKey.SPAM, "hold", 1.0, {"min_links": 0}, "min_links"),
            (RuleKey.SPAM, "hold", 1.0, {"new_account_days": "soon"}, "new_account_days"),
        ]
        for key, action, threshold, params, field in cases:
            with pytest.raises(Invalid) as refused:
                await rules.update_rule(
                    session, actor=admin, key=key, action=action, threshold=threshold,
                    params=params,
                )  # fmt: skip
            assert refused.value.field == field
        with pytest.raises(NotFound):
            await rules.update_rule(
                session, actor=admin, key="sentiment", action="label", threshold=1
            )
    async with runtime.db.reader() as session:
        assert await rules.load_rules(session) == rules.DEFAULTS


async def test_moderator_actions_on_reported_posts_are_labels(
    runtime: Runtime, members: Members
) -> None:
    from tests.unit.moderation.factories import act, report

    alice = await member(members, "alice")
    bob = await member(members, "bob")
    mod = await staff(members, "mod")
    post = await write(runtime, alice, "a rude parley")
    filed = await report(runtime, bob, alice, post_ids=[post.id])
    await act(runtime, mod, kind="mark_sensitive", reason="Graphic", report_id=filed.id)
    async with runtime.db.reader() as session:
        found = (await labels_for(session, [post.id]))[post.id]
    assert [(x.label, x.source, x.account_id, x.note) for x in found] == [
        ("mod:mark_sensitive", "moderator", mod.id, "Graphic")
    ]


async def test_an_appeal_decision_is_a_label_on_the_posts_of_the_strike(
    runtime: Runtime, members: Members
) -> None:
    from tests.unit.moderation.factories import appeal, decide

    alice = await member(members, "alice")
    mod = await staff(members, "mod")
    other = await staff(members, "othermod")
    post = await write(runtime, alice, "I will kill you")
    async with runtime.db.transaction() as session:
        await decisions.reject_held_post(session, moderator=mod, post_id=post.id, reason="Threat")
    async with runtime.db.reader() as session:
        strike = await session.scalar(select(Strike))
    assert strike is not None
    filed = await appeal(runtime, alice, strike.id, "It was a quote from a film")
    await decide(runtime, other, filed.id, True)
    labels = await labels_of(runtime, post.id)
    assert labels[-1] == "mod:appeal_upheld"


async def test_a_held_post_cannot_be_echoed_even_by_its_author(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    post = await write(runtime, alice, "I will kill you")
    async with runtime.db.transaction() as session:
        with pytest.raises(Forbidden):
            await posts.echo_post(session, runtime.ctx, actor=alice, post_id=post.id)
