"""`moved` on the Accounts nested in notifications, edit history, the admin API, reports and
moderation warnings: every Account the API renders says where a moved account went."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from parley.domain.accounts.models import Account
from parley.runtime import Runtime
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.moderation.conftest import Staff, staff

__all__ = ["staff"]  # the fixture, shared with the moderation tests

ADMIN = "read write admin:read admin:write"


async def _move(runtime: Runtime, old: Caller, new: Caller) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == int(old.id)).values(moved_to_id=int(new.id))
        )


def _moved(entity: dict[str, Any], new: Caller) -> None:
    """`entity` is the moved account, and says it moved to `new`."""
    assert entity["username"] == "old", entity
    assert entity["moved"]["id"] == new.id, entity
    assert entity["moved"]["username"] == "new"
    assert "moved" not in entity["moved"]
    assert_conforms(entity, "Account")


async def test_notifications_say_the_actor_moved(api: Api, runtime: Runtime) -> None:
    me = await api.member("me")
    old = await api.member("old")
    new = await api.member("new")
    await api.call("POST", f"/api/v1/accounts/{me.id}/follow", old)
    mine = await api.call("POST", "/api/v1/statuses", me, data={"status": "hello"})
    await api.call("POST", f"/api/v1/statuses/{mine['id']}/favourite", old)
    await _move(runtime, old, new)

    found = await api.call("GET", "/api/v1/notifications", me, schema="Notification[]")
    assert {n["type"] for n in found} == {"follow", "favourite"}
    for notification in found:
        _moved(notification["account"], new)
        assert "moved" not in notification.get("status", {}).get("account", {})
    one = await api.call("GET", f"/api/v1/notifications/{found[0]['id']}", me)
    _moved(one["account"], new)
    grouped = await api.call("GET", "/api/v2/notifications", me)
    assert grouped["accounts"]
    for entity in grouped["accounts"]:
        _moved(entity, new)


async def test_a_notification_from_someone_who_did_not_move_has_no_moved(api: Api) -> None:
    me = await api.member("me")
    friend = await api.member("friend")
    await api.call("POST", f"/api/v1/accounts/{me.id}/follow", friend)
    (found,) = await api.call("GET", "/api/v1/notifications", me, schema="Notification[]")
    assert found["account"]["username"] == "friend"
    assert "moved" not in found["account"]


async def test_edit_history_says_the_author_moved(api: Api, runtime: Runtime) -> None:
    old = await api.member("old")
    new = await api.member("new")
    reader = await api.member("reader")
    post = await api.call("POST", "/api/v1/statuses", old, data={"status": "first"})
    await api.call("PUT", f"/api/v1/statuses/{post['id']}", old, data={"status": "second"})
    await _move(runtime, old, new)

    history = await api.call(
        "GET", f"/api/v1/statuses/{post['id']}/history", reader, schema="StatusEdit[]"
    )
    assert [h["content"] for h in history] == ["<p>first</p>", "<p>second</p>"]
    for edit in history:
        _moved(edit["account"], new)


async def test_the_admin_api_says_an_account_moved(
    api: Api, runtime: Runtime, staff: Staff
) -> None:
    old = await api.member("old")
    new = await api.member("new")
    admin = await staff.caller("boss", "admin", ADMIN)
    await _move(runtime, old, new)

    one = await api.call("GET", f"/api/v1/admin/accounts/{old.id}", admin, schema="AdminAccount")
    _moved(one["account"], new)
    listed = await api.call("GET", "/api/v1/admin/accounts", admin, schema="AdminAccount[]")
    by_name = {a["username"]: a for a in listed}
    _moved(by_name["old"]["account"], new)
    assert "moved" not in by_name["new"]["account"]


async def test_reports_say_the_target_moved(api: Api, runtime: Runtime, staff: Staff) -> None:
    old = await api.member("old")
    new = await api.member("new")
    reporter = await api.member("reporter")
    admin = await staff.caller("boss", "admin", ADMIN)
    await _move(runtime, old, new)

    report = await api.call(
        "POST",
        "/api/v1/reports",
        reporter,
        data={"account_id": old.id, "comment": "spam"},
        schema="Report",
    )
    _moved(report["target_account"], new)
    seen = await api.call(
        "GET", f"/api/v1/admin/reports/{report['id']}", admin, schema="AdminReport"
    )
    _moved(seen["target_account"]["account"], new)
    assert "moved" not in seen["account"]["account"]


async def test_a_moderation_warning_says_its_target_moved(
    api: Api, runtime: Runtime, staff: Staff
) -> None:
    old = await api.member("old")
    new = await api.member("new")
    mod = await staff.caller("mod", "moderator", ADMIN)
    await api.call(
        "POST", f"/api/v1/admin/accounts/{old.id}/action", mod,
        json={"type": "none", "text": "Be kind"},
    )  # fmt: skip
    await _move(runtime, old, new)

    (found,) = await api.call(
        "GET", "/api/v1/notifications?types[]=moderation_warning", old, schema="Notification[]"
    )
    _moved(found["moderation_warning"]["target_account"], new)
