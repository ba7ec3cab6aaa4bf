"""Non-enumerable pages: anonymous visitors page back only PARLEY_ANONYMOUS_PAGING_DAYS."""

from __future__ import annotations

import time

import pytest

from parley.db.ids import new_id
from parley.edge.paging import too_old
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.protection.conftest import ClientAt, member_token, sign_in

DAY_MS = 86_400_000


def cursor(days_ago: int) -> int:
    return new_id(at_ms=int(time.time() * 1000) - days_ago * DAY_MS)


@pytest.mark.parametrize("overrides", [{"anonymous_paging_days": 30}])
async def test_anonymous_visitors_cannot_walk_the_archive(
    client_at: ClientAt, members: Members
) -> None:
    alice = await members.create("alice")
    client = client_at()
    old, recent = cursor(31), cursor(5)
    for path in ("/local", "/tags/cats", "/@alice", "/@alice/with_comments"):
        assert (await client.get(f"{path}?max_id={recent}")).status_code == 200, path
        refused = await client.get(f"{path}?max_id={old}")
        assert refused.status_code == 303, path
        assert refused.headers["location"].startswith("/auth/sign_in?next="), path
    api_paths = (
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/cats",
        f"/api/v1/accounts/{alice.account_id}/statuses",
    )
    for path in api_paths:
        for name in ("max_id", "min_id", "since_id"):
            answer = await client.get(f"{path}?{name}={old}")
            assert answer.status_code == 200, (path, name)
            assert answer.json() == [], (path, name)
    # A post's own address is not paging: it always answers.
    assert (await client.get("/@alice")).status_code == 200


def test_a_cursor_of_other_digits_is_not_a_cursor() -> None:
    # "²" passes str.isdigit() but int() refuses it: the check must not fail on it.
    floor_ms = int(time.time() * 1000)
    assert not too_old("max_id=%C2%B2", floor_ms)
    assert too_old(f"max_id=%C2%B2&min_id={cursor(1)}", floor_ms)


@pytest.mark.parametrize("overrides", [{"anonymous_paging_days": 30}])
async def test_members_page_as_far_as_they_like(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    old = cursor(400)
    browser = client_at("198.51.100.70")
    assert (await sign_in(browser, "alice")).status_code == 303
    assert (await browser.get(f"/local?max_id={old}")).status_code == 200
    token = await member_token(runtime, alice.account_id)
    api = client_at(headers={"Authorization": f"Bearer {token}"})
    answer = await api.get(f"/api/v1/timelines/public?max_id={old}")
    assert answer.status_code == 200
    # A made-up cookie is not a member.
    faker = client_at()
    faker.cookies.set("parley_session", "made-up")
    assert (await faker.get(f"/local?max_id={old}")).status_code == 303


@pytest.mark.parametrize("overrides", [{"limit_anonymous_paging": "2/minute"}])
async def test_anonymous_paging_is_counted_per_address(client_at: ClientAt) -> None:
    client = client_at()
    recent = cursor(1)
    for _ in range(2):
        assert (await client.get(f"/local?max_id={recent}")).status_code == 200
    assert (await client.get(f"/local?max_id={recent}")).status_code == 429
    assert (await client.get("/local")).status_code == 200  # the first page is not paging
