"""The Mastodon admin API: reports, account actions and domain blocks, with admin scopes
that only staff tokens keep and role checks behind them."""

from __future__ import annotations

from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.moderation.models import AuditLogEntry
from parley.runtime import Runtime
from tests.integration.moderation.conftest import Api, Staff
from tests.integration.moderation.test_report_doors import _post

ADMIN_SCOPES = "read write admin:read admin:write"


async def test_a_moderator_works_a_report_through_the_admin_api(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    mod = await staff.caller("mod", "moderator", ADMIN_SCOPES)
    post = await _post(runtime, int(bob.id), "threatening words")
    filed = await api.call(
        "POST", "/api/v1/reports", alice, json={"account_id": bob.id, "status_ids": [str(post.id)]}
    )
    listed = await api.call("GET", "/api/v1/admin/reports", mod)
    assert [r["id"] for r in listed] == [filed["id"]]
    report = await api.call(
        "GET", f"/api/v1/admin/reports/{filed['id']}", mod, schema="AdminReport"
    )
    assert report["target_account"]["id"] == bob.id
    assert [s["id"] for s in report["statuses"]] == [str(post.id)]
    assigned = await api.call(
        "POST", f"/api/v1/admin/reports/{filed['id']}/assign_to_self", mod, schema="AdminReport"
    )
    assert assigned["assigned_account"]["id"] == mod.id
    await api.call(
        "POST", f"/api/v1/admin/accounts/{bob.id}/action", mod, status=422,
        json={"type": "silence", "report_id": filed["id"]},
    )  # fmt: skip
    await api.call(
        "POST", f"/api/v1/admin/accounts/{bob.id}/action", mod,
        json={"type": "silence", "report_id": filed["id"], "text": "Threats"},
    )  # fmt: skip
    account = await api.call("GET", f"/api/v1/admin/accounts/{bob.id}", mod, schema="AdminAccount")
    assert account["silenced"] is True
    resolved = await api.call("GET", f"/api/v1/admin/reports/{filed['id']}", mod)
    assert resolved["action_taken"] is True
    await api.call("POST", f"/api/v1/admin/reports/{filed['id']}/resolve", mod, status=422)
    reopened = await api.call("POST", f"/api/v1/admin/reports/{filed['id']}/reopen", mod)
    assert reopened["action_taken"] is False
    async with runtime.db.reader() as session:
        actions = list(await session.scalars(select(AuditLogEntry.action)))
    assert actions == ["report.assign", "account.limit", "report.reopen"]


async def test_members_get_no_admin_scopes_and_moderators_no_domain_blocks(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    member = await staff.caller("alice", "member", ADMIN_SCOPES)
    await api.call("GET", "/api/v1/admin/reports", member, status=403)
    await api.call("GET", "/api/v1/admin/accounts/1", member, status=403)
    mod = await staff.caller("mod", "moderator", ADMIN_SCOPES)
    await api.call("GET", "/api/v1/admin/domain_blocks", mod, status=403)
    await api.call(
        "POST", "/api/v1/admin/domain_blocks", mod, status=403, json={"domain": "x.example"}
    )
    await api.call("GET", "/api/v1/admin/reports/12345", mod, status=404)


async def test_an_admin_manages_domain_blocks(api: Api, staff: Staff, runtime: Runtime) -> None:
    admin = await staff.caller("boss", "admin", ADMIN_SCOPES)
    async with runtime.db.transaction() as session:
        session.add(
            Account(username="spam", username_lower="spam", domain="spam.example",
                    uri="https://spam.example/users/spam")
        )  # fmt: skip
    created = await api.call(
        "POST", "/api/v1/admin/domain_blocks", admin, schema="AdminDomainBlock",
        json={"domain": "spam.example", "severity": "suspend", "public_comment": "Spam"},
    )  # fmt: skip
    await api.call(
        "POST", "/api/v1/admin/domain_blocks", admin, status=422, json={"domain": "spam.example"}
    )
    await api.call(
        "POST", "/api/v1/admin/domain_blocks", admin, status=422, json={"domain": "not a domain"}
    )
    changed = await api.call(
        "PUT", f"/api/v1/admin/domain_blocks/{created['id']}", admin,
        json={"severity": "silence"},
    )  # fmt: skip
    assert (changed["severity"], changed["public_comment"]) == ("silence", "Spam")
    async with runtime.db.reader() as session:
        spam = await session.scalar(select(Account).where(Account.domain == "spam.example"))
    assert spam is not None
    assert (spam.suspended_at is None, spam.silenced_at is not None) == (True, True)
    listed = await api.call("GET", "/api/v1/admin/domain_blocks", admin)
    assert [b["domain"] for b in listed] == ["spam.example"]
    await api.call("DELETE", f"/api/v1/admin/domain_blocks/{created['id']}", admin)
    await api.call("GET", f"/api/v1/admin/domain_blocks/{created['id']}", admin, status=404)


async def test_a_report_from_another_server_renders_with_that_server_as_reporter(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    bob = await api.member("bob")
    mod = await staff.caller("mod", "moderator", ADMIN_SCOPES)
    from parley.domain.moderation.service import file_report

    async with runtime.db.transaction() as session:
        filed = await file_report(
            session, reporter=None, target_account_id=int(bob.id), comment="from afar",
            origin_domain="mastodon.example", uri="https://mastodon.example/flags/9",
        )  # fmt: skip
    body = await api.call("GET", f"/api/v1/admin/reports/{filed.id}", mod, schema="AdminReport")
    assert body["account"]["username"] == "mastodon.example"
    assert body["comment"] == "from afar"
