"""Admin pages and the public policy pages."""

from __future__ import annotations

from collections.abc import Callable

from parley.domain.moderation.models import ActionKind
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Browser
from tests.integration.moderation.test_moderation_web import _signed_in
from tests.unit.moderation.factories import act
from tests.unit.posts.factories import member

BAD_CSV = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
good.example,suspend,false,false,Spam,false
bad domain,suspend,false,false,,false
"""


async def test_the_audit_log_is_for_admins_and_exports_csv(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    admin = await _signed_in(browser_factory, members, "boss", "admin")
    mod = await _signed_in(browser_factory, members, "mod", "moderator")
    bob = await member(members, "bob")
    from tests.unit.moderation.factories import staff as _staff

    other_mod = await _staff(members, "other")
    await act(runtime, other_mod, kind=ActionKind.WARN, target_account_id=bob.id, reason="Be kind")
    assert (await mod.get("/moderation/audit")).status_code == 403
    page = await admin.get("/moderation/audit")
    assert "account.warn" in page.text
    assert "Be kind" in page.text
    exported = await admin.get("/moderation/audit.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert ",other,account.warn,account," in exported.text


async def test_csv_import_with_a_bad_row_lists_it_and_imports_nothing(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    admin = await _signed_in(browser_factory, members, "boss", "admin")
    mod = await _signed_in(browser_factory, members, "mod", "moderator")
    refused = await admin.post(
        "/moderation/domain_blocks/import", {"csv": BAD_CSV}, page="/moderation/domain_blocks"
    )
    assert refused.status_code == 422
    assert "Line 3: &#39;bad domain&#39; is not a domain name" in refused.text
    assert "good.example" not in (await admin.get("/moderation/domain_blocks")).text
    good = BAD_CSV.rsplit("\n", 2)[0] + "\n"
    done = await admin.post(
        "/moderation/domain_blocks/import", {"csv": good}, page="/moderation/domain_blocks"
    )
    assert "Imported 1 domain block" in done.text
    assert "good.example,suspend" in (await admin.get("/moderation/domain_blocks.csv")).text
    assert (await mod.get("/moderation/domain_blocks")).status_code == 403
    public = await browser_factory().get("/about/moderation")
    assert "good.example" in public.text
    assert "Spam" in public.text


async def test_policy_pages_have_defaults_and_admins_edit_them(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    visitor = browser_factory()
    assert "incites or threatens violence" in (await visitor.get("/terms")).text
    assert (await visitor.get("/privacy")).status_code == 200
    admin = await _signed_in(browser_factory, members, "boss", "admin")
    saved = await admin.post(
        "/moderation/settings",
        {"report_response_hours": "12", "terms_text": "Be excellent.", "privacy_text": "",
         "contact_email": "abuse@parley.test"},
        page="/moderation/settings",
    )  # fmt: skip
    assert saved.status_code == 200
    assert "Be excellent." in (await visitor.get("/terms")).text
    about = await visitor.get("/about/moderation")
    assert "12 hours" in about.text
    assert "abuse@parley.test" in about.text
    assert "Blocked servers" not in about.text  # the list was turned off (box unticked)
    bad = await admin.post(
        "/moderation/settings", {"report_response_hours": "0"}, page="/moderation/settings"
    )
    assert bad.status_code == 422


async def test_admins_edit_the_server_rules_and_moderators_cannot(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    admin = await _signed_in(browser_factory, members, "boss", "admin")
    mod = await _signed_in(browser_factory, members, "mod", "moderator")
    added = await admin.post("/moderation/rules", {"text": "No threats of violence"})
    assert added.status_code == 303
    assert "No threats of violence" in (await browser_factory().get("/about")).text
    assert (await mod.post("/moderation/rules", {"text": "Mine"})).status_code == 403
    assert (await admin.post("/moderation/rules", {"text": " "})).status_code == 422
    audit = await admin.get("/moderation/audit")
    assert "rule.create" in audit.text


async def test_a_blocked_email_domain_cannot_sign_up(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    admin = await _signed_in(browser_factory, members, "boss", "admin")
    blocked = await admin.post("/moderation/email_domain_blocks", {"domain": "Spam.Example"})
    assert blocked.status_code == 303
    assert "spam.example" in (await admin.get("/moderation/domain_blocks")).text
    visitor = browser_factory()
    refused = await visitor.post(
        "/auth/sign_up",
        {"username": "spammer", "email": "x@mail.spam.example", "password": "long enough pw",
         "password_confirmation": "long enough pw", "agreement": "1"},
        page="/auth/sign_up",
    )  # fmt: skip
    assert refused.status_code == 422
    assert "e-mail provider" in refused.text
