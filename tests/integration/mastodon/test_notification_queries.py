"""A page of notifications costs the same queries whether it holds 2 or 8: posts, actors and
their new accounts are loaded once per page, not once per notification."""

from __future__ import annotations

from parley.runtime import Runtime
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.mastodon.test_token_memory import statements


async def _favourited_by(api: Api, me: Caller, names: list[str]) -> None:
    for name in names:
        fan = await api.member(name)
        post = await api.call("POST", "/api/v1/statuses", me, data={"status": f"for {name}"})
        await api.call("POST", f"/api/v1/statuses/{post['id']}/favourite", fan)


async def _queries(api: Api, runtime: Runtime, me: Caller) -> tuple[int, list[dict[str, str]]]:
    await api.call("GET", "/api/v1/notifications", me)  # the token and filters, remembered
    with statements(runtime) as seen:
        found = await api.call("GET", "/api/v1/notifications", me, schema="Notification[]")
    return len(seen), found


async def test_notifications_load_once_per_page(api: Api, runtime: Runtime) -> None:
    me = await api.member("me")
    await _favourited_by(api, me, ["fan0", "fan1"])
    few, found = await _queries(api, runtime, me)
    assert len(found) == 2
    await _favourited_by(api, me, [f"more{i}" for i in range(6)])
    many, found = await _queries(api, runtime, me)
    assert len(found) == 8
    assert many == few
    assert {n["account"]["username"] for n in found} == {"fan0", "fan1"} | {
        f"more{i}" for i in range(6)
    }
    assert all(n["status"]["account"]["username"] == "me" for n in found)
