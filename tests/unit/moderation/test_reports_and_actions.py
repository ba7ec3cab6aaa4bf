from __future__ import annotations

import pytest
from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, Invalid, NotFound
from parley.domain.instance.service import add_rule
from parley.domain.moderation.models import ActionKind, AuditLogEntry, Report, ReportCategory
from parley.domain.notifications.models import Notification, NotificationType
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import act, member, report, staff
from tests.unit.posts.factories import count, reload, write


async def test_a_report_names_the_account_its_posts_and_the_broken_rules(
    runtime: Runtime, members: Members
) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    post = await write(runtime, bob, "spam spam spam")
    async with runtime.db.transaction() as session:
        rule = await add_rule(session, text="No spam")
    filed = await report(
        runtime, alice, bob, post_ids=[post.id], category=ReportCategory.VIOLATION,
        rule_ids=[rule.id], comment="  please look  ",
    )  # fmt: skip
    assert (filed.post_ids, filed.rule_ids, filed.comment) == ([post.id], [rule.id], "please look")
    assert filed.action_taken_at is None


async def test_bad_reports_are_refused_clearly(runtime: Runtime, members: Members) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    alices_post = await write(runtime, alice, "mine")
    with pytest.raises(Invalid, match="yourself"):
        await report(runtime, alice, alice)
    with pytest.raises(NotFound, match="does not exist"):
        await report(runtime, alice, bob, post_ids=[alices_post.id])
    with pytest.raises(NotFound, match="account does not exist"):
        await report(runtime, alice, Account(id=123456789))
    with pytest.raises(Invalid, match="rules"):
        await report(runtime, alice, bob, category=ReportCategory.VIOLATION, rule_ids=[999])
    with pytest.raises(Invalid, match="Category"):
        await report(runtime, alice, bob, category="rude")
    assert await count(runtime, Report) == 0


async def test_deleting_a_reported_post_tells_the_member_and_resolves_the_report(
    runtime: Runtime, members: Members
) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    mod = await staff(members, "mod")
    post = await write(runtime, bob, "bad words")
    filed = await report(runtime, alice, bob, post_ids=[post.id])
    strike = await act(
        runtime, mod, kind=ActionKind.DELETE_POST, report_id=filed.id, reason="Insults"
    )
    assert strike is not None
    assert strike.reason == "Insults"
    assert await reload(runtime, Post, post.id) is None
    resolved = await reload(runtime, Report, filed.id)
    assert resolved.action_taken_at is not None
    assert "removed" in resolved.resolution
    assert await count(
        runtime, Notification,
        Notification.account_id == bob.id,
        Notification.type == NotificationType.MODERATION_WARNING,
    ) == 1  # fmt: skip
    async with runtime.db.reader() as session:
        entry = (await session.scalars(select(AuditLogEntry))).one()
    assert (entry.actor_id, entry.action, entry.target_id) == (mod.id, "account.delete_post",
                                                               str(bob.id))  # fmt: skip
    assert entry.reason == "Insults"


async def test_acting_on_a_post_already_deleted_says_so(runtime: Runtime, members: Members) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    mod = await staff(members, "mod")
    post = await write(runtime, bob, "gone soon")
    filed = await report(runtime, alice, bob, post_ids=[post.id])
    async with runtime.db.transaction() as session:
        from parley.domain.posts.service import delete_post

        await delete_post(session, actor=bob, post_id=post.id)
    with pytest.raises(NotFound, match="no longer exists"):
        await act(runtime, mod, kind=ActionKind.DELETE_POST, report_id=filed.id, reason="x")
    with pytest.raises(NotFound, match="report does not exist"):
        await act(runtime, mod, kind=ActionKind.WARN, report_id=42, reason="x")
    assert await count(runtime, AuditLogEntry) == 0


async def test_a_moderator_cannot_decide_a_report_about_themselves(
    runtime: Runtime, members: Members
) -> None:
    alice = await member(members, "alice")
    mod = await staff(members, "mod")
    filed = await report(runtime, alice, mod)
    with pytest.raises(Forbidden):
        await act(runtime, mod, kind=ActionKind.DISMISS, report_id=filed.id, reason="nah")
    assert (await reload(runtime, Report, filed.id)).action_taken_at is None


async def test_members_and_lower_roles_cannot_act(runtime: Runtime, members: Members) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    mod = await staff(members, "mod")
    admin = await staff(members, "boss", "admin")
    with pytest.raises(Forbidden):
        await act(runtime, alice, kind=ActionKind.WARN, target_account_id=bob.id, reason="x")
    with pytest.raises(Forbidden):
        await act(runtime, mod, kind=ActionKind.SUSPEND, target_account_id=admin.id, reason="x")


async def test_a_reason_is_required_and_a_report_resolves_once(
    runtime: Runtime, members: Members
) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    mod = await staff(members, "mod")
    filed = await report(runtime, alice, bob)
    with pytest.raises(Invalid, match="reason"):
        await act(runtime, mod, kind=ActionKind.WARN, report_id=filed.id, reason="  ")
    assert await act(runtime, mod, kind=ActionKind.DISMISS, report_id=filed.id, reason="ok") is None
    with pytest.raises(Conflict):
        await act(runtime, mod, kind=ActionKind.WARN, report_id=filed.id, reason="again")


async def test_freeze_stops_writing_and_interacting_but_not_signing_in(
    runtime: Runtime, members: Members
) -> None:
    alice, bob = await member(members, "alice"), await member(members, "bob")
    mod = await staff(members, "mod")
    post = await write(runtime, alice, "hello")
    await act(runtime, mod, kind=ActionKind.FREEZE, target_account_id=bob.id, reason="Cool off")
    frozen = await reload(runtime, Account, bob.id)
    assert frozen.frozen_at is not None
    assert frozen.suspended_at is None
    with pytest.raises(Forbidden, match="frozen"):
        await write(runtime, frozen, "still here")
    from parley.domain.interactions.service import upvote_post
    from parley.domain.relationships.service import follow_account

    async with runtime.db.transaction() as session:
        with pytest.raises(Forbidden, match="frozen"):
            await upvote_post(session, actor=frozen, post_id=post.id)
    async with runtime.db.transaction() as session:
        with pytest.raises(Forbidden, match="frozen"):
            await follow_account(session, follower=frozen, target=alice)


async def test_suspend_and_limit_set_the_account_flags(runtime: Runtime, members: Members) -> None:
    bob, carol = await member(members, "bob"), await member(members, "carol")
    mod = await staff(members, "mod")
    await act(runtime, mod, kind=ActionKind.SUSPEND, target_account_id=bob.id, reason="Threats")
    await act(runtime, mod, kind=ActionKind.LIMIT, target_account_id=carol.id, reason="Spam")
    assert (await reload(runtime, Account, bob.id)).suspended_at is not None
    assert (await reload(runtime, Account, carol.id)).silenced_at is not None
    with pytest.raises(Conflict, match="already suspended"):
        await act(runtime, mod, kind=ActionKind.SUSPEND, target_account_id=bob.id, reason="x")


async def test_content_warning_and_sensitive_change_the_post(
    runtime: Runtime, members: Members
) -> None:
    bob = await member(members, "bob")
    mod = await staff(members, "mod")
    post = await write(runtime, bob, "gore")
    await act(
        runtime, mod, kind=ActionKind.ADD_CONTENT_WARNING, target_account_id=bob.id,
        post_ids=[post.id], reason="Graphic", content_warning="Graphic violence",
    )  # fmt: skip
    changed = await reload(runtime, Post, post.id)
    assert (changed.spoiler_text, changed.sensitive) == ("Graphic violence", True)


async def test_audit_entries_cannot_be_changed_or_deleted(
    runtime: Runtime, members: Members
) -> None:
    bob = await member(members, "bob")
    mod = await staff(members, "mod")
    await act(runtime, mod, kind=ActionKind.WARN, target_account_id=bob.id, reason="Be nice")
    async with runtime.db.transaction() as session:
        entry = (await session.scalars(select(AuditLogEntry))).one()
        entry.reason = "rewritten"
        with pytest.raises(RuntimeError, match="never changed"):
            await session.flush()
        await session.rollback()
    async with runtime.db.transaction() as session:
        await session.delete((await session.scalars(select(AuditLogEntry))).one())
        with pytest.raises(RuntimeError, match="never changed"):
            await session.flush()
        await session.rollback()
    assert await count(runtime, AuditLogEntry, AuditLogEntry.reason == "Be nice") == 1
