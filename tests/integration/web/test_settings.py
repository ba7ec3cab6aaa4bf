from __future__ import annotations

import re

import pyotp
import pytest

from parley.domain.accounts.models import Account, User
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.web.conftest import Browser


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


async def _account(runtime: Runtime, username: str) -> Account:
    async with runtime.db.reader() as session:
        from parley.domain.accounts.queries import get_local_account

        return await get_local_account(session, username)


async def test_profile_settings_save_name_bio_fields_and_flags(
    alice: Browser, runtime: Runtime
) -> None:
    page = await alice.get("/settings/profile")
    assert page.status_code == 200
    for label in ("display_name", "note", "field_name_0", "field_value_3", "locked"):
        assert f'name="{label}"' in page.text
    response = await alice.post(
        "/settings/profile",
        {
            "display_name": "Alice Liddell",
            "note": "Down the #rabbithole",
            "field_name_0": "Pronouns",
            "field_value_0": "she/her",
            "locked": "1",
            "discoverable": "1",
        },
        page="/settings/profile",
    )
    assert response.status_code == 303
    account = await _account(runtime, "alice")
    assert account.display_name == "Alice Liddell"
    assert account.note == "Down the #rabbithole"
    assert [f["name"] for f in account.fields] == ["Pronouns"]
    assert account.locked
    assert account.discoverable
    assert not account.bot
    saved = await alice.get(response.headers["location"])
    assert "Profile saved" in saved.text
    assert 'value="Alice Liddell"' in saved.text


async def test_too_long_display_name_keeps_the_form_and_changes_nothing(
    alice: Browser, runtime: Runtime
) -> None:
    response = await alice.post(
        "/settings/profile",
        {"display_name": "x" * 31, "note": "new bio"},
        page="/settings/profile",
    )
    assert response.status_code == 422
    assert "Display name is at most 30 characters" in response.text
    assert "new bio" in response.text
    account = await _account(runtime, "alice")
    assert account.display_name == ""
    assert account.note == ""


async def test_profile_settings_need_the_csrf_token(alice: Browser, runtime: Runtime) -> None:
    response = await alice.post("/settings/profile", {"display_name": "Hacked"}, csrf=False)
    assert response.status_code == 403
    assert (await _account(runtime, "alice")).display_name == ""


async def test_change_password_keeps_this_browser_signed_in(
    alice: Browser, browser_factory: object
) -> None:
    page = await alice.get("/settings/account")
    assert "alice@example.org" in page.text
    wrong = await alice.post(
        "/settings/password",
        {
            "current_password": "nope",
            "new_password": "brand new password",
            "new_password_confirmation": "brand new password",
        },
        page="/settings/account",
    )
    assert wrong.status_code == 422
    assert "Current password is not correct" in wrong.text
    done = await alice.post(
        "/settings/password",
        {
            "current_password": PASSWORD,
            "new_password": "brand new password",
            "new_password_confirmation": "brand new password",
        },
        page="/settings/account",
    )
    assert done.status_code == 303
    assert (await alice.get("/settings/account")).status_code == 200
    await alice.post("/auth/sign_out", page="/settings/account")
    assert (await alice.sign_in("alice", PASSWORD)).status_code == 401
    assert (await alice.sign_in("alice", "brand new password")).status_code == 303


async def test_two_factor_setup_confirm_sign_in_and_turn_off(
    alice: Browser, runtime: Runtime
) -> None:
    overview = await alice.get("/settings/two_factor")
    assert "Set up two-factor sign-in" in overview.text
    setup = await alice.post("/settings/two_factor/setup", page="/settings/two_factor")
    assert setup.status_code == 200
    assert "<svg" in setup.text
    secret = re.search(r'<p class="secret" id="secret">([A-Z2-7]+)</p>', setup.text)
    assert secret
    signed = re.search(r'name="setup" value="([^"]+)"', setup.text)
    assert signed
    totp = pyotp.TOTP(secret.group(1))

    bad = await alice.post(
        "/settings/two_factor/confirm",
        {"code": "000000" if totp.now() != "000000" else "111111", "setup": signed.group(1)},
        page="/settings/two_factor",
    )
    assert bad.status_code == 422
    assert "not correct" in bad.text
    assert secret.group(1) in bad.text  # the same secret is shown again

    codes_page = await alice.post(
        "/settings/two_factor/confirm",
        {"code": totp.now(), "setup": signed.group(1)},
        page="/settings/two_factor",
    )
    assert codes_page.status_code == 200
    codes = re.findall(r"<li>([0-9a-f]{10})</li>", codes_page.text)
    assert len(codes) == 10

    await alice.post("/auth/sign_out", page="/settings/two_factor")
    step = await alice.sign_in("alice")
    assert step.headers["location"].startswith("/auth/two_factor")
    wrong = await alice.post("/auth/two_factor", {"code": "12345"}, page=step.headers["location"])
    assert wrong.status_code == 401
    done = await alice.post("/auth/two_factor", {"code": codes[0]}, page=step.headers["location"])
    assert done.status_code == 303

    off = await alice.post(
        "/settings/two_factor/disable", {"code": codes[1]}, page="/settings/two_factor"
    )
    assert off.status_code == 303
    async with runtime.db.reader() as session:
        user = (await session.execute(User.__table__.select())).first()
    assert user is not None
    assert user.totp_secret is None


async def test_delete_account_needs_the_password(alice: Browser, runtime: Runtime) -> None:
    page = await alice.get("/settings/delete")
    assert page.status_code == 200
    wrong = await alice.post("/settings/delete", {"password": "nope"}, page="/settings/delete")
    assert wrong.status_code == 422
    assert "Password is not correct" in wrong.text
    assert (await _account(runtime, "alice")).username == "alice"
    done = await alice.post("/settings/delete", {"password": PASSWORD}, page="/settings/delete")
    assert done.status_code == 303
    assert done.headers["location"] == "/about?deleted=1"
    assert "has been deleted" in (await alice.get("/about?deleted=1")).text
    assert (await alice.get("/settings/profile")).status_code == 303
    assert (await alice.get("/@alice")).status_code == 404
    assert (await alice.sign_in("alice")).status_code in (401, 403)
