from __future__ import annotations

import re

from sqlalchemy import func, select

from parley.domain.accounts.models import Account, User
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.web.conftest import Browser


async def _accounts(runtime: Runtime) -> int:
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def test_sign_up_form_creates_the_account_and_signs_in(browser: Browser) -> None:
    page = await browser.get("/auth/sign_up")
    assert page.status_code == 200
    assert '<label for="username">' in page.text
    response = await browser.sign_up("alice")
    assert response.headers["location"] == "/home"
    settings = await browser.get("/settings/profile")
    assert settings.status_code == 200
    assert "@alice" in settings.text


async def test_taken_username_re_renders_the_form_with_the_message(
    browser: Browser, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")
    before = await _accounts(runtime)
    response = await browser.post(
        "/auth/sign_up",
        {
            "username": "alice",
            "email": "other@example.org",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
        },
        page="/auth/sign_up",
    )
    assert response.status_code == 422
    assert "already taken" in response.text
    assert 'value="other@example.org"' in response.text  # what was typed is kept
    assert await _accounts(runtime) == before


async def test_mismatched_passwords_are_refused(browser: Browser, runtime: Runtime) -> None:
    response = await browser.post(
        "/auth/sign_up",
        {
            "username": "bob",
            "email": "bob@example.org",
            "password": PASSWORD,
            "password_confirmation": "something else",
        },
        page="/auth/sign_up",
    )
    assert response.status_code == 422
    assert "do not match" in response.text
    assert await _accounts(runtime) == 0


async def test_sign_up_without_csrf_token_is_forbidden_and_creates_nothing(
    browser: Browser, runtime: Runtime
) -> None:
    await browser.get("/auth/sign_up")  # the browser has its cookie, but the form lacks the token
    fields = {
        "username": "mallory",
        "email": "m@example.org",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    missing = await browser.post("/auth/sign_up", fields, csrf=False)
    wrong = await browser.post("/auth/sign_up", {**fields, "csrf_token": "forged"})
    not_ascii = await browser.post("/auth/sign_up", {**fields, "csrf_token": "forg\u00e9d"})
    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert not_ascii.status_code == 403
    assert await _accounts(runtime) == 0


async def test_wrong_password_shows_the_message(browser: Browser, members: Members) -> None:
    await members.create("alice")
    response = await browser.sign_in("alice", "not the password")
    assert response.status_code == 401
    assert "Invalid e-mail address, username or password" in response.text
    assert (await browser.get("/settings/profile")).status_code == 303


async def test_sign_in_then_out(browser: Browser, members: Members) -> None:
    await members.create("alice")
    response = await browser.sign_in("alice")
    assert response.status_code == 303
    assert (await browser.get("/settings/profile")).status_code == 200
    out = await browser.post("/auth/sign_out", page="/settings/profile")
    assert out.status_code == 303
    assert (await browser.get("/settings/profile")).status_code == 303


async def test_sign_in_only_returns_to_same_site_paths(browser: Browser, members: Members) -> None:
    await members.create("alice")
    response = await browser.post(
        "/auth/sign_in",
        {"login": "alice", "password": PASSWORD, "next": "//evil.example/"},
        page="/auth/sign_in",
    )
    assert response.headers["location"] == "/home"


async def test_signed_out_visitor_is_sent_to_sign_in(browser: Browser) -> None:
    response = await browser.get("/settings/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/sign_in?next=/settings/profile"


async def test_forgot_password_mails_a_link_that_resets_it(
    browser: Browser, members: Members, runtime: Runtime
) -> None:
    await members.create("alice")
    page = await browser.post(
        "/auth/password/forgot", {"email": "alice@example.org"}, page="/auth/password/forgot"
    )
    assert page.status_code == 200
    assert "reset link is on its way" in page.text
    await runtime.worker.drain()
    mail = next(runtime.settings.outbox_dir.glob("*.eml")).read_text()
    match = re.search(r"https://parley\.test(/auth/reset/\S+)", mail)
    assert match
    link = match.group(1)
    form = await browser.get(link)
    assert form.status_code == 200
    mismatch = await browser.post(
        link,
        {"password": "a new password!", "password_confirmation": "different"},
        page=link,
    )
    assert mismatch.status_code == 422
    done = await browser.post(
        link,
        {"password": "a new password!", "password_confirmation": "a new password!"},
        page=link,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/auth/sign_in?reset=1"
    assert (await browser.sign_in("alice", PASSWORD)).status_code == 401
    assert (await browser.sign_in("alice", "a new password!")).status_code == 303


async def test_forgot_password_says_the_same_for_unknown_addresses(
    browser: Browser, runtime: Runtime
) -> None:
    page = await browser.post(
        "/auth/password/forgot", {"email": "nobody@example.org"}, page="/auth/password/forgot"
    )
    assert page.status_code == 200
    assert "reset link is on its way" in page.text
    assert await runtime.worker.drain() == 0


async def test_a_bad_reset_link_is_refused(browser: Browser) -> None:
    response = await browser.post(
        "/auth/reset/not-a-token",
        {"password": "a new password!", "password_confirmation": "a new password!"},
        page="/auth/reset/not-a-token",
    )
    assert response.status_code == 422
    assert "invalid or has expired" in response.text


async def test_user_count_is_unchanged_by_reading_pages(runtime: Runtime) -> None:
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0
