"""Scheduled statuses: scheduling through POST /api/v1/statuses, listing, rescheduling,
cancelling, and the worker publishing them when their time comes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.scheduled.models import ScheduledPost
from parley.jobs.models import Job
from tests.integration.mastodon.conftest import Api


def _in(minutes: int) -> str:
    return (utcnow() + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def _due_now(api: Api) -> None:
    """Move every schedule and its jobs into the past, as time passing would."""
    past = utcnow() - timedelta(seconds=1)
    async with api.runtime.db.transaction() as session:
        await session.execute(update(ScheduledPost).values(scheduled_at=past))
        await session.execute(
            update(Job).where(Job.kind == "publish_scheduled_post").values(run_at=past)
        )


async def test_a_scheduled_status_is_posted_by_the_worker_at_its_time(api: Api) -> None:
    alice = await api.member("alice")
    body = await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        data={"status": "later #news", "scheduled_at": _in(10), "visibility": "unlisted"},
        schema="ScheduledStatus",
    )
    assert body["params"]["text"] == "later #news"
    assert await api.call("GET", f"/api/v1/accounts/{alice.id}/statuses", alice) == []
    await api.runtime.worker.drain()
    assert await api.call("GET", f"/api/v1/accounts/{alice.id}/statuses", alice) == []
    await _due_now(api)
    await api.runtime.worker.drain()
    (posted,) = await api.call(
        "GET", f"/api/v1/accounts/{alice.id}/statuses", alice, schema="Status[]"
    )
    assert "later" in posted["content"]
    assert posted["visibility"] == "unlisted"
    assert await api.call("GET", "/api/v1/scheduled_statuses", alice) == []
    await api.call("GET", f"/api/v1/scheduled_statuses/{body['id']}", alice, status=404)


async def test_list_reschedule_and_cancel(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    first = await api.call(
        "POST", "/api/v1/statuses", alice, json={"status": "one", "scheduled_at": _in(10)}
    )
    listed = await api.call("GET", "/api/v1/scheduled_statuses", alice, schema="ScheduledStatus[]")
    assert [s["id"] for s in listed] == [first["id"]]
    moved = await api.call(
        "PUT",
        f"/api/v1/scheduled_statuses/{first['id']}",
        alice,
        data={"scheduled_at": _in(120)},
        schema="ScheduledStatus",
    )
    assert moved["scheduled_at"] > first["scheduled_at"]
    for method in ("GET", "PUT", "DELETE"):
        body = await api.call(method, f"/api/v1/scheduled_statuses/{first['id']}", bob, status=404)
        assert body == {"error": "Record not found"}
    too_soon = await api.call(
        "PUT",
        f"/api/v1/scheduled_statuses/{first['id']}",
        alice,
        data={"scheduled_at": _in(1)},
        status=422,
    )
    assert too_soon["error"] == (
        "Validation failed: Scheduled at The scheduled date must be in the future"
    )
    kept = await api.call("GET", f"/api/v1/scheduled_statuses/{first['id']}", alice)
    assert kept["scheduled_at"] == moved["scheduled_at"]
    assert await api.call("DELETE", f"/api/v1/scheduled_statuses/{first['id']}", alice) == {}
    await _due_now(api)
    await api.runtime.worker.drain()
    assert await api.call("GET", f"/api/v1/accounts/{alice.id}/statuses", alice) == []


async def test_bad_schedules_are_refused_and_nothing_is_scheduled(api: Api) -> None:
    alice = await api.member("alice")
    for data in (
        {"status": "hi", "scheduled_at": _in(2)},
        {"status": "hi", "scheduled_at": "tomorrow"},
        {"status": "hi", "scheduled_at": "2030-01-01T00:00:00"},
        {"status": "", "scheduled_at": _in(10)},
        {"status": "hi", "visibility": "everyone", "scheduled_at": _in(10)},
        {"status": "hi", "media_ids[]": "1", "scheduled_at": _in(10)},
    ):
        body = await api.call("POST", "/api/v1/statuses", alice, status=422, data=data)
        assert body["error"].startswith("Validation failed"), data
    assert await api.call("GET", "/api/v1/scheduled_statuses", alice) == []
    await api.call("GET", "/api/v1/scheduled_statuses/123", alice, status=404)
