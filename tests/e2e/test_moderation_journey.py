"""A moderator's journey in a real browser: a member reports a parley, a moderator opens the
queue and the report and deletes the parley with a reason, the author sees the warning and
appeals, and another moderator decides."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from parley.db.engine import Database
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, User
from parley.jobs.models import Job, JobState
from tests.e2e.conftest import DESKTOP, shot
from tests.e2e.test_journey import _context, sign_up

pytestmark = pytest.mark.browser


def _promote(database_url: str, username: str) -> None:
    """What `parley admin set-role` does; then wait for the server's worker to run the
    event's jobs, as a moderator would wait for the command to return and reload."""

    async def run() -> None:
        db = Database(database_url)
        async with db.transaction() as session:
            user = await session.scalar(
                select(User)
                .join(Account, Account.id == User.account_id)
                .where(Account.username == username)
            )
            assert user is not None
            await accounts.set_role(session, user=user, role="moderator")
        for _ in range(200):
            async with db.reader() as session:
                waiting = await session.scalar(
                    select(func.count()).select_from(Job).where(Job.state == JobState.QUEUED)
                )
            if not waiting:
                break
            await asyncio.sleep(0.05)
        await db.dispose()

    # Playwright's sync API holds an event loop in this thread: use another one.
    worker = threading.Thread(target=asyncio.run, args=(run(),))
    worker.start()
    worker.join()


def _member(chromium: Browser, server: str, name: str) -> Page:
    page = _context(chromium, server, DESKTOP).new_page()
    sign_up(page, name)
    return page


def test_report_queue_action_appeal_and_decision(
    chromium: Browser, server: str, database_url: str
) -> None:
    bob = _member(chromium, server, "bob")
    bob.get_by_label("Write a parley").fill("Those people are vermin")
    bob.get_by_role("button", name="Parley", exact=True).click()
    expect(bob.locator("article.post").first).to_contain_text("vermin")

    alice = _member(chromium, server, "alice")
    alice.goto("/@bob")
    post = alice.locator("article.post", has_text="vermin")
    post.get_by_role("group", name="Actions on this parley").locator("summary.more").click()
    shot(alice, "moderation-post-menu")
    report_link = post.get_by_role("link", name="Report parley")
    expect(report_link).to_be_visible()
    alice.goto(report_link.get_attribute("href") or "")
    alice.get_by_label("Something else").check()
    alice.get_by_label("Anything the moderators should know?").fill("Dehumanising")
    alice.get_by_role("button", name="Send report").click()
    expect(alice).to_have_url(re.compile(r"/reports\?filed=1$"))

    mod = _member(chromium, server, "carla")
    other = _member(chromium, server, "dmitri")
    _promote(database_url, "carla")
    _promote(database_url, "dmitri")
    mod.goto("/home")
    expect(mod.locator('nav.nav a[href="/moderation"]')).to_contain_text("1")  # open reports
    mod.goto("/moderation")
    expect(mod.locator("#backlog")).to_have_text("1")
    mod.get_by_role("link", name="@bob").click()
    expect(mod.locator("#reported-posts, .reported-post").first).to_contain_text("vermin")
    mod.get_by_label("Delete the reported parleys").check()
    mod.get_by_label(re.compile("^Reason")).fill("Dehumanising language is not allowed")
    shot(mod, "moderation-report")
    mod.get_by_role("button", name="Apply").click()
    expect(mod.locator("#backlog")).to_have_text("0")

    bob.goto("/notifications")
    bob.get_by_role("link", name="see the reason").click()
    expect(bob.locator("article.strike")).to_contain_text("Dehumanising language")
    bob.get_by_label("Appeal (once per decision)").fill("I was quoting someone")
    bob.get_by_role("button", name="Send appeal").click()
    expect(bob.locator(".notice")).to_contain_text("Your appeal was sent")

    mod.goto("/moderation/appeals")
    expect(mod.locator("form[id^=appeal-]")).to_contain_text("another moderator decides")
    other.goto("/moderation/appeals")
    other.get_by_role("button", name="Reject").click()
    bob.goto("/settings/strikes")
    expect(bob.locator("article.strike")).to_contain_text("Appeal rejected")
    alice.goto("/reports")
    expect(alice.locator(".report-outcome")).to_contain_text("removed")
