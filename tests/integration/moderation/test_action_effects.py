"""What each account action does, seen through the web UI, the Mastodon API and federation."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from parley.runtime import Runtime
from tests.integration.moderation.conftest import Api, Browser, Staff
from tests.integration.moderation.test_report_doors import _post

ADMIN = "read write admin:read admin:write"


async def test_a_suspension_takes_effect_through_every_door(
    api: Api, staff: Staff, runtime: Runtime, client: httpx.AsyncClient,
    browser_factory: Callable[[], Browser],
) -> None:  # fmt: skip
    bob = await api.member("bob")
    alice = await api.member("alice")
    mod = await staff.caller("mod", "moderator", ADMIN)
    post = await _post(runtime, int(bob.id), "gone after this")
    await api.call("GET", f"/api/v1/statuses/{post.id}", alice)
    await api.call(
        "POST", f"/api/v1/admin/accounts/{bob.id}/action", mod,
        json={"type": "suspend", "text": "Threats of violence"},
    )  # fmt: skip
    await api.call("GET", f"/api/v1/statuses/{post.id}", alice, status=404)
    await api.call("GET", f"/api/v1/accounts/{bob.id}", alice, status=404)
    # Mastodon: a suspended login is refused with 403 "Your login is currently disabled".
    await api.call("GET", "/api/v1/accounts/verify_credentials", bob, status=403)
    assert (await browser_factory().get("/@bob")).status_code == 404
    actor = await client.get("/users/bob", headers={"Accept": "application/activity+json"})
    assert actor.status_code in (404, 410)


async def test_a_frozen_member_reads_but_cannot_post_or_interact(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    bob = await api.member("bob")
    alice = await api.member("alice")
    mod = await staff.caller("mod", "moderator", ADMIN)
    post = await _post(runtime, int(alice.id), "hello")
    await api.call(
        "POST", f"/api/v1/admin/accounts/{bob.id}/action", mod,
        json={"type": "disable", "text": "Cool off for a day"},
    )  # fmt: skip
    await api.call("GET", "/api/v1/timelines/home", bob)
    await api.call("POST", "/api/v1/statuses", bob, status=403, json={"status": "still here"})
    await api.call("POST", f"/api/v1/statuses/{post.id}/favourite", bob, status=403)
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", bob, status=403)
    account = await api.call("GET", f"/api/v1/admin/accounts/{bob.id}", mod)
    assert account["disabled"] is True


async def test_a_limited_account_is_hidden_from_the_public_timeline_api(
    api: Api, staff: Staff, runtime: Runtime
) -> None:
    bob = await api.member("bob")
    alice = await api.member("alice")
    mod = await staff.caller("mod", "moderator", ADMIN)
    post = await _post(runtime, int(bob.id), "loud")
    before = await api.call("GET", "/api/v1/timelines/public?local=true", alice)
    assert [s["id"] for s in before] == [str(post.id)]
    await api.call(
        "POST", f"/api/v1/admin/accounts/{bob.id}/action", mod,
        json={"type": "silence", "text": "Spam"},
    )  # fmt: skip
    assert await api.call("GET", "/api/v1/timelines/public?local=true", alice) == []
    await api.call("GET", f"/api/v1/statuses/{post.id}", alice)  # still reachable directly
