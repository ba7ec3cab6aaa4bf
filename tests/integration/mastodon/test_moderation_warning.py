"""moderation_warning notifications carry Mastodon's AccountWarning: the action, the reason,
the posts, and the appeal once there is one (v1 and grouped v2 notifications)."""

from __future__ import annotations

from parley.domain.accounts.models import Account
from parley.domain.moderation import service
from parley.runtime import Runtime
from tests.integration.mastodon.conftest import Api
from tests.integration.moderation.conftest import Staff, staff
from tests.integration.moderation.test_report_doors import _post
from tests.unit.moderation.factories import appeal

__all__ = ["staff"]  # the fixture, shared with the moderation tests

ADMIN = "read write admin:read admin:write"


async def test_a_strike_reaches_the_member_as_an_account_warning(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    bob = await api.member("bob")
    mod = await staff.caller("mod", "moderator", ADMIN)
    await api.call(
        "POST", f"/api/v1/admin/accounts/{bob.id}/action", mod,
        json={"type": "silence", "text": "Repeated spam replies"},
    )  # fmt: skip
    found = await api.call(
        "GET", "/api/v1/notifications?types[]=moderation_warning", bob, schema="Notification[]"
    )
    assert len(found) == 1
    warning = found[0]["moderation_warning"]
    assert warning["action"] == "silence"
    assert warning["text"] == "Repeated spam replies"
    assert warning["target_account"]["id"] == bob.id
    assert warning["appeal"] is None
    single = await api.call(
        "GET", f"/api/v1/notifications/{found[0]['id']}", bob, schema="Notification"
    )
    assert single["moderation_warning"]["id"] == warning["id"]
    excluded = await api.call(
        "GET", "/api/v1/notifications?exclude_types[]=moderation_warning", bob
    )
    assert excluded == []


async def test_the_warning_names_the_posts_and_shows_the_appeal(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    bob = await api.member("bob")
    mod = await staff.caller("mod", "moderator", ADMIN)
    post = await _post(runtime, int(bob.id), "a picture")
    async with runtime.db.transaction() as session:
        moderator = await session.get(Account, int(mod.id))
        assert moderator is not None
        strike = await service.take_action(
            session, moderator=moderator, kind="mark_sensitive", reason="Unmarked gore",
            target_account_id=int(bob.id), post_ids=[post.id],
        )  # fmt: skip
    assert strike is not None
    async with runtime.db.reader() as session:
        bob_account = await session.get(Account, int(bob.id))
    assert bob_account is not None
    await appeal(runtime, bob_account, strike.id, "It was a movie still")
    grouped = await api.call(
        "GET", "/api/v2/notifications", bob, schema="GroupedNotificationsResults"
    )
    group = grouped["notification_groups"][0]
    warning = group["moderation_warning"]
    assert warning["action"] == "mark_statuses_as_sensitive"
    assert warning["status_ids"] == [str(post.id)]
    assert warning["appeal"] == {"text": "It was a movie still", "state": "pending"}
