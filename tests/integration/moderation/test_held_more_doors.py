"""A held post stays out of sight through the doors the main door test does not visit:
search (by text and by URL), thread context, conversations, echo, quote, reply, upvote,
bookmark, pin, poll vote, favourited_by/reblogged_by, and the web search and conversations."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Api, Browser, Caller
from tests.integration.moderation.test_autoflag_doors import alice_followed_by_bob


async def _held(api: Api, alice: Caller, text: str, **extra: object) -> int:
    status = await api.call("POST", "/api/v1/statuses", alice, json={"status": text, **extra})
    post_id = int(status["id"])
    return post_id


async def test_a_held_post_is_shown_by_no_other_door(
    api: Api, runtime: Runtime, members: Members, client: httpx.AsyncClient,
    browser_factory: Callable[[], Browser],
) -> None:  # fmt: skip
    alice, bob, bob_web = await alice_followed_by_bob(api, browser_factory)
    parent = await api.call("POST", "/api/v1/statuses", alice, json={"status": "hello there"})
    marker = f"zebra{secrets.token_hex(4)}"
    held_id = await _held(
        api, alice, f"@bob I will kill you {marker}", in_reply_to_id=parent["id"],
        poll={"options": ["yes", "no"], "expires_in": 3600},
    )  # fmt: skip
    direct_id = await _held(api, alice, f"@bob I will kill you {marker} dm", visibility="direct")
    mine = await api.call("GET", f"/api/v1/statuses/{held_id}", alice)
    await api.call("GET", f"/api/v1/statuses/{held_id}", bob, status=404)  # held
    await api.call("GET", f"/api/v1/statuses/{direct_id}", bob, status=404)
    url = mine["url"]
    leaks: list[str] = []

    async def check(door: str, method: str, path: str, **kwargs: object) -> None:
        response = await api.client.request(method, path, headers=bob.headers, **kwargs)  # type: ignore[arg-type]
        refused = method == "GET" or 400 <= response.status_code < 500
        if response.status_code >= 500 or marker in response.text or not refused:
            leaks.append(f"{door}: {response.status_code}")

    await check("search", "GET", f"/api/v2/search?q={marker}&type=statuses")
    await check("search url", "GET", f"/api/v2/search?q={url}&resolve=true")
    await check("search uri", "GET", f"/api/v2/search?q={mine['uri']}&resolve=true")
    await check("context of parent", "GET", f"/api/v1/statuses/{parent['id']}/context")
    await check("context", "GET", f"/api/v1/statuses/{held_id}/context")
    await check("conversations", "GET", "/api/v1/conversations")
    await check("source", "GET", f"/api/v1/statuses/{held_id}/source")
    await check("history", "GET", f"/api/v1/statuses/{held_id}/history")
    await check("favourited_by", "GET", f"/api/v1/statuses/{held_id}/favourited_by")
    await check("reblog", "POST", f"/api/v1/statuses/{held_id}/reblog")
    await check("favourite", "POST", f"/api/v1/statuses/{held_id}/favourite")
    await check("bookmark", "POST", f"/api/v1/statuses/{held_id}/bookmark")
    await check("bookmarks", "GET", "/api/v1/bookmarks")
    await check("favourites", "GET", "/api/v1/favourites")
    await check("translate", "POST", f"/api/v1/statuses/{held_id}/translate")
    await check("poll", "GET", f"/api/v1/polls/{mine['poll']['id']}")
    await check("vote", "POST", f"/api/v1/polls/{mine['poll']['id']}/votes", json={"choices": [0]})
    await check(
        "quote", "POST", "/api/v1/statuses", json={"status": "q", "quoted_status_id": held_id}
    )
    await check(
        "reply", "POST", "/api/v1/statuses", json={"status": "r", "in_reply_to_id": held_id}
    )
    await check("home", "GET", "/api/v1/timelines/home")
    await check("conv direct", "GET", f"/api/v1/statuses/{direct_id}")
    await check("notifications", "GET", "/api/v1/notifications")
    await check("markers", "GET", "/api/v1/notifications/unread_count")
    for path in (
        f"/search?q={marker}",
        "/conversations",
        f"/@alice/{parent['id']}",
        f"/@alice/{held_id}/quote",
        f"/@alice/{held_id}/history",
        f"/@alice/{held_id}",
        "/notifications",
        "/bookmarks",
    ):
        response = await bob_web.get(path)
        # The search page names the query itself: look for the parley's words.
        if response.status_code >= 500 or f"kill you {marker}" in response.text:
            leaks.append(f"web {path}: {response.status_code}")
    for path, headers in (
        (f"/@alice/{held_id}", {}),
        (f"/@alice/{parent['id']}", {}),
        ("/@alice.rss", {}),
        ("/@alice/feed.rss", {}),
        (f"/users/alice/statuses/{held_id}/activity", {"Accept": "application/activity+json"}),
        (f"/api/oembed?url={url}", {}),
    ):
        response = await client.get(path, headers=headers)
        if response.status_code >= 500 or marker in response.text:
            leaks.append(f"anonymous {path}: {response.status_code}")
    assert leaks == []
