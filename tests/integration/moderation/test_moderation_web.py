"""The moderation UI: the queue, a report page, acting with a reason, the member's strikes
and appeal, another moderator's decision, and who may see what."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.moderation import escalation
from parley.domain.moderation.models import Appeal, Report
from parley.domain.posts.models import Post
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Browser
from tests.integration.moderation.test_report_doors import _post


async def _signed_in(
    make: Callable[[], Browser], members: Members, name: str, role: str
) -> Browser:
    await members.create(name, role=role)
    browser = make()
    answer = await browser.sign_in(name)
    assert answer.status_code == 303
    return browser


async def test_from_report_to_action_to_appeal(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    bob = await _signed_in(browser_factory, members, "bob", "member")
    alice = await _signed_in(browser_factory, members, "alice", "member")
    mod = await _signed_in(browser_factory, members, "mod", "moderator")
    other = await _signed_in(browser_factory, members, "other", "moderator")
    async with runtime.db.reader() as session:
        bob_id = await session.scalar(select(Account.id).where(Account.username == "bob"))
    assert bob_id is not None
    post = await _post(runtime, bob_id, "you people are vermin")
    page = f"/report?account={bob_id}&post={post.id}"
    filed = await alice.post(
        "/report", {"account": str(bob_id), "post": str(post.id), "category": "other"}, page=page
    )
    assert filed.status_code == 303

    queue = await mod.get("/moderation")
    assert queue.status_code == 200
    assert '<span id="backlog">1</span>' in queue.text
    report_id = re.search(r'href="/moderation/reports/(\d+)"', queue.text)
    assert report_id is not None
    report_page = await mod.get(f"/moderation/reports/{report_id.group(1)}")
    assert "you people are vermin" in report_page.text
    assert "No previous strikes" in report_page.text
    path = f"/moderation/reports/{report_id.group(1)}/action"
    no_reason = await mod.post(path, {"kind": "delete_post", "reason": ""}, page="/moderation")
    assert no_reason.status_code == 422
    done = await mod.post(
        path, {"kind": "delete_post", "reason": "Dehumanising language"}, page="/moderation"
    )
    assert done.status_code == 303
    async with runtime.db.reader() as session:
        assert await session.get(Post, post.id) is None
    assert "Report" in (await mod.get(done.headers["location"])).text

    outcome = await alice.get("/reports")
    assert "the reported content was removed" in outcome.text
    notifications = await bob.get("/notifications")
    assert "/settings/strikes" in notifications.text
    strikes = await bob.get("/settings/strikes")
    assert "Dehumanising language" in strikes.text
    strike_id = re.search(r'name="strike_id" value="(\d+)"', strikes.text)
    assert strike_id is not None
    sent = await bob.post(
        "/settings/strikes",
        {"strike_id": strike_id.group(1), "text": "It was a quote"},
        page="/settings/strikes",
    )
    assert sent.status_code == 303
    again = await bob.post(
        "/settings/strikes", {"strike_id": strike_id.group(1), "text": "again"},
        page="/settings/strikes",
    )  # fmt: skip
    assert again.status_code == 409 or again.status_code == 422
    async with runtime.db.reader() as session:
        appeal = await session.scalar(select(Appeal))
    assert appeal is not None
    own = await mod.post(f"/moderation/appeals/{appeal.id}", {"decision": "approve"})
    assert own.status_code == 403
    decided = await other.post(f"/moderation/appeals/{appeal.id}", {"decision": "reject"})
    assert decided.status_code == 303
    assert "Appeal rejected" in (await bob.get("/settings/strikes")).text


async def test_members_cannot_open_the_moderation_pages(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    alice = await _signed_in(browser_factory, members, "alice", "member")
    for path in ("/moderation", "/moderation/appeals", "/moderation/reports/1"):
        assert (await alice.get(path)).status_code == 403, path
    assert "Moderation" not in (await alice.get("/home")).text


async def test_an_overdue_report_is_escalated_to_the_staff_once(
    runtime: Runtime, members: Members
) -> None:
    await members.create("mod", role="moderator")
    await members.create("alice")
    bob = await members.create("bob")
    from tests.unit.moderation.factories import report

    async with runtime.db.reader() as session:
        alice = await session.scalar(select(Account).where(Account.username == "alice"))
        target = await session.get(Account, bob.account_id)
    assert alice is not None
    assert target is not None
    filed = await report(runtime, alice, target)
    async with runtime.db.transaction() as session:
        scheduled = await session.scalar(select(Job).where(Job.kind == escalation.ESCALATE_JOB))
        assert scheduled is not None
        assert scheduled.run_at - filed.created_at == timedelta(hours=24)
        emails = await escalation.escalate_report(
            session, report_id=filed.id, base_url="https://parley.test"
        )
        assert emails == []  # not overdue yet
        await session.execute(
            update(Report)
            .where(Report.id == filed.id)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    for expected in (["mod@example.org"], []):
        async with runtime.db.transaction() as session:
            emails = await escalation.escalate_report(
                session, report_id=filed.id, base_url="https://parley.test"
            )
        assert emails == expected
    async with runtime.db.reader() as session:
        mails = list(await session.scalars(select(Job).where(Job.kind == "send_mail")))
    assert [m.payload["to"] for m in mails] == ["mod@example.org"]
    assert "overdue" in mails[0].payload["subject"]


async def test_an_overdue_report_also_calls_the_webhook_when_one_is_set(
    runtime: Runtime, members: Members
) -> None:
    from parley.domain.instance.service import update_instance_info
    from tests.unit.moderation.factories import report

    alice, bob = await members.create("alice"), await members.create("bob")
    async with runtime.db.transaction() as session:
        await update_instance_info(session, escalation_webhook_url="https://hooks.example/x")
        reporter = await session.get(Account, alice.account_id)
        target = await session.get(Account, bob.account_id)
    assert reporter is not None
    assert target is not None
    filed = await report(runtime, reporter, target)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Report)
            .where(Report.id == filed.id)
            .values(created_at=utcnow() - timedelta(hours=30))
        )
        await escalation.escalate_report(session, report_id=filed.id, base_url="https://p.test")
        hook = await session.scalar(select(Job).where(Job.kind == escalation.WEBHOOK_JOB))
    assert hook is not None
    assert hook.payload["url"] == "https://hooks.example/x"
    assert hook.payload["payload"]["event"] == "report.overdue"
