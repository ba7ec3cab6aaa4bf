"""As on Mastodon: an account moves out at most once in 30 days, and a moved account posts
no more, whatever the door (web, Mastodon API, scheduled posts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.portability import migration
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.mastodon.conftest import Api, Caller, api
from tests.integration.portability.conftest import account_named
from tests.integration.web.conftest import Browser
from tests.unit.posts.factories import write

__all__ = ["api"]


async def _moved(runtime: Runtime, api: Api, members: Members) -> Caller:
    """old (with an API token) has moved to new; other also lists old as an alias."""
    old = await api.member("old")
    for name in ("new", "other"):
        user = await members.create(name)
        await migration.add_alias(
            runtime.db, runtime.ctx, account_id=user.account_id, address="old@parley.test"
        )
    await migration.move_account(
        runtime.db,
        runtime.ctx,
        account_id=old.user.account_id,
        password=PASSWORD,
        target_address="new@parley.test",
    )
    return old


async def _move_to(browser: Browser, address: str) -> httpx.Response:
    """Settings > Move account, as the member fills it in."""
    return await browser.post(
        "/settings/migration/move",
        {"target": address, "current_password": PASSWORD},
        page="/settings/migration",
    )


async def _posts_by(runtime: Runtime, account_id: int) -> int:
    async with runtime.db.reader() as session:
        count = await session.scalar(
            select(func.count()).select_from(Post).where(Post.account_id == account_id)
        )
    return int(count or 0)


async def test_moving_again_within_30_days_is_refused(
    runtime: Runtime, api: Api, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    old = await _moved(runtime, api, members)
    new, other = await account_named(runtime, "new"), await account_named(runtime, "other")
    browser = browser_factory()
    assert (await browser.sign_in("old")).status_code == 303

    refused = await _move_to(browser, "other@parley.test")
    assert refused.status_code == 422
    assert "once every 30 days" in refused.text
    assert "can move again from" in refused.text
    moved = await account_named(runtime, "old")
    assert moved.moved_to_id == new.id

    # 30 days later, it may move on.
    async with runtime.db.transaction() as session:
        stored = await session.get(Account, old.user.account_id)
        assert stored is not None
        assert stored.moved_at is not None
        stored.moved_at = utcnow() - timedelta(days=30, minutes=1)
    accepted = await _move_to(browser, "other@parley.test")
    assert accepted.status_code == 303, accepted.text
    assert (await account_named(runtime, "old")).moved_to_id == other.id


async def test_a_moved_account_posts_no_more_from_any_door(
    runtime: Runtime, api: Api, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    new_user = await members.create("fresh")
    someone = await account_named(runtime, "fresh")
    theirs = await write(runtime, someone, "echo me")
    old = await _moved(runtime, api, members)
    before = await _posts_by(runtime, old.user.account_id)
    message = "has moved to another account and can no longer post"

    browser = browser_factory()
    assert (await browser.sign_in("old")).status_code == 303
    composed = await browser.post("/posts", {"text": "still here", "next": "/home"}, page="/home")
    assert composed.status_code == 403
    assert message in composed.text
    echoed = await browser.post(f"/posts/{theirs.id}/echo", {"next": "/home"}, page="/home")
    assert echoed.status_code == 403
    assert message in echoed.text

    body = await api.call("POST", "/api/v1/statuses", old, status=403, json={"status": "hi"})
    assert message in body["error"]
    await api.call("POST", f"/api/v1/statuses/{theirs.id}/reblog", old, status=403)
    later = (utcnow() + timedelta(hours=1)).isoformat()
    await api.call(
        "POST", "/api/v1/statuses", old, status=403, json={"status": "hi", "scheduled_at": later}
    )
    assert await _posts_by(runtime, old.user.account_id) == before

    # The account it moved to writes as usual; other actions of the old one still work.
    fresh_token = await api.token(new_user)
    await api.call(
        "POST",
        "/api/v1/statuses",
        headers={"Authorization": f"Bearer {fresh_token}"},
        json={"status": "fine"},
        schema="Status",
    )
    await api.call("GET", "/api/v1/accounts/verify_credentials", old, schema="Account")
