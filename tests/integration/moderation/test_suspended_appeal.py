"""A suspended member may sign in to one restricted page: read the decision and appeal it.
Every page that needs an account refuses them; apps stay refused."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.moderation.models import Appeal, Strike
from parley.jobs.models import Job
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Browser
from tests.unit.moderation.factories import act, decide, staff


async def _suspended_bob(runtime: Runtime, members: Members) -> Account:
    await members.create("bob")
    mod = await staff(members, "mod")
    async with runtime.db.reader() as session:
        bob = await session.scalar(select(Account).where(Account.username == "bob"))
    assert bob is not None
    await act(
        runtime, mod, kind="suspend", reason="Threats against a neighbour", target_account_id=bob.id
    )
    return bob


async def test_a_suspended_member_reads_the_decision_and_appeals_it(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    bob = await _suspended_bob(runtime, members)
    browser = browser_factory()
    signed_in = await browser.sign_in("bob")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/settings/strikes"
    page = await browser.get("/settings/strikes")
    assert page.status_code == 200
    assert "Your account is suspended" in page.text
    assert "Threats against a neighbour" in page.text
    assert 'href="/settings/profile"' not in page.text  # no member navigation
    for path in ("/home", "/settings/profile", "/notifications", "/settings/invites"):
        refused = await browser.get(path)
        assert refused.status_code == 403, path
        assert "/settings/strikes" in refused.text
    posting = await browser.post("/posts", {"text": "I am back"}, page="/settings/strikes")
    assert posting.status_code == 403
    assert "Your account is suspended" in posting.text

    empty = await browser.post(
        "/settings/strikes", {"strike_id": "1", "text": ""}, page="/settings/strikes"
    )
    assert empty.status_code in (404, 422)
    async with runtime.db.reader() as session:
        strike = await session.scalar(select(Strike).where(Strike.target_account_id == bob.id))
    assert strike is not None
    sent = await browser.post(
        "/settings/strikes", {"strike_id": str(strike.id), "text": "It was a joke between friends"},
        page="/settings/strikes",
    )  # fmt: skip
    assert sent.status_code == 303
    again = await browser.get("/settings/strikes")
    assert "Waiting for a moderator" in again.text

    other = await staff(members, "other")
    async with runtime.db.reader() as session:
        filed = await session.scalar(select(Appeal))
    assert filed is not None
    await decide(runtime, other, filed.id, approve=True)
    async with runtime.db.reader() as session:
        mails = [
            j.payload["subject"]
            for j in await session.scalars(select(Job).where(Job.kind == "send_mail"))
        ]
    assert "Your appeal was approved" in mails
    assert (await browser.get("/home")).status_code == 200  # the same session, now unrestricted


async def test_members_and_strangers_are_unaffected(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    await members.create("alice")
    stranger = browser_factory()
    to_sign_in = await stranger.get("/settings/strikes")
    assert to_sign_in.status_code == 303
    assert to_sign_in.headers["location"].startswith("/auth/sign_in")
    alice = browser_factory()
    await alice.sign_in("alice")
    own = await alice.get("/settings/strikes")
    assert own.status_code == 200
    assert "Your account is suspended" not in own.text
