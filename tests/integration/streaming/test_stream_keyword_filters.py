"""Keyword filters (v2) on streams: a "hide" match is never sent, a "warn" match carries
`filtered`, each in its own context (home and lists, public and hashtags, notifications,
direct conversations as "thread").

Jobs run one at a time in the order they were written, so when a later post arrives first,
the filtered one before it was not sent: no waiting for a timeout.
"""

from __future__ import annotations

from typing import Any

import pytest

from parley.mastodon.streaming import channels as ch
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.streaming.conftest import Live, settle, sse, websocket

pytestmark = pytest.mark.slow


async def _post(api: Api, author: Caller, text: str, visibility: str = "public") -> Any:
    return await api.call(
        "POST", "/api/v1/statuses", author, data={"status": text, "visibility": visibility}
    )


async def _filter(
    api: Api, member: Caller, title: str, keyword: str, context: list[str], action: str
) -> Any:
    return await api.call(
        "POST",
        "/api/v2/filters",
        member,
        json={
            "title": title,
            "context": context,
            "filter_action": action,
            "keywords_attributes": [{"keyword": keyword}],
        },
    )


async def test_home_stream_hides_and_warns_with_the_home_filters(live: Live, api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    await _filter(api, alice, "Spoilers", "spoiler", ["home"], "hide")
    warn = await _filter(api, alice, "Cats", "cats", ["home"], "warn")
    await _filter(api, alice, "Elsewhere", "plain", ["public"], "hide")  # not home
    await settle(api.runtime)
    async with sse(live, "user", alice.token) as stream:
        await _post(api, bob, "A spoiler about the ending")
        cats = await _post(api, bob, "I love CATS")
        plain = await _post(api, bob, "plain words")

        event, status = await stream.next_json()
        assert (event, status["id"]) == ("update", cats["id"])
        assert_conforms(status, "Status")
        (result,) = status["filtered"]
        assert result["filter"]["id"] == warn["id"]
        assert result["filter"]["filter_action"] == "warn"
        assert result["keyword_matches"] == ["cats"]

        event, status = await stream.next_json()
        assert (event, status["id"]) == ("update", plain["id"])
        assert status["filtered"] == []


async def test_list_streams_use_the_home_filters(live: Live, api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    listed = await api.call("POST", "/api/v1/lists", alice, json={"title": "Friends"})
    await api.call(
        "POST", f"/api/v1/lists/{listed['id']}/accounts", alice, json={"account_ids": [bob.id]}
    )
    await _filter(api, alice, "Spoilers", "spoiler", ["home"], "hide")
    await settle(api.runtime)
    async with sse(live, "list", alice.token, list=listed["id"]) as stream:
        await _post(api, bob, "spoiler ahead")
        shown = await _post(api, bob, "nothing to hide")
        event, status = await stream.next_json()
        assert (event, status["id"]) == ("update", shown["id"])


async def test_public_and_hashtag_streams_apply_each_readers_public_filters(
    live: Live, api: Api
) -> None:
    bob, carol, dave = [await api.member(n) for n in ("bob", "carol", "dave")]
    await _filter(api, carol, "Politics", "election", ["public"], "hide")
    warn = await _filter(api, carol, "Sport", "football", ["public"], "warn")
    await _filter(api, carol, "Home only", "weather", ["home"], "hide")
    await settle(api.runtime)
    async with (
        websocket(live, carol.token, "?stream=public:local") as filtered,
        websocket(live, dave.token, "?stream=public:local") as unfiltered,
    ):
        await filtered.send(type="subscribe", stream="hashtag", tag="news")
        await live.until_listening(ch.hashtag("news"))
        hidden = await _post(api, bob, "The #news: election results")
        football = await _post(api, bob, "The #news: football tonight")
        weather = await _post(api, bob, "The weather is fine")

        got = [await filtered.next() for _ in range(3)]
        assert [(tuple(m["stream"]), m["payload"]["id"]) for m in got] == [
            (("public:local",), football["id"]),
            (("hashtag", "news"), football["id"]),
            (("public:local",), weather["id"]),
        ]
        for message in got[:2]:
            (result,) = message["payload"]["filtered"]
            assert result["filter"]["id"] == warn["id"]
            assert result["keyword_matches"] == ["football"]
            assert_conforms(message["payload"], "Status")
        assert got[2]["payload"]["filtered"] == []

        # Another reader's filters change nothing for dave: he gets all three, unmarked.
        seen = [await unfiltered.next() for _ in range(3)]
        assert [m["payload"]["id"] for m in seen] == [hidden["id"], football["id"], weather["id"]]
        assert all("filtered" not in m["payload"] for m in seen)


async def test_a_new_filter_applies_to_an_open_public_stream(live: Live, api: Api) -> None:
    bob, carol = await api.member("bob"), await api.member("carol")
    async with sse(live, "public/local", carol.token) as stream:
        first = await _post(api, bob, "dogs are great")
        event, status = await stream.next_json()
        assert (event, status["id"]) == ("update", first["id"])  # filters loaded by now

        await _filter(api, carol, "Dogs", "dogs", ["public"], "hide")
        await settle(api.runtime)
        await _post(api, bob, "more dogs")
        after = await _post(api, bob, "cats instead")
        event, status = await stream.next_json()
        assert (event, status["id"]) == ("update", after["id"])


async def test_notifications_leave_out_posts_a_notifications_filter_hides(
    live: Live, api: Api
) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await _filter(api, alice, "Spam", "giveaway", ["notifications"], "hide")
    await settle(api.runtime)
    async with sse(live, "user/notification", alice.token) as stream:
        await _post(api, bob, "@alice free giveaway!")
        kept = await _post(api, bob, "@alice a real question")
        event, notification = await stream.next_json()
        assert event == "notification"
        assert notification["status"]["id"] == kept["id"]


async def test_direct_conversations_use_the_thread_filters(live: Live, api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await _filter(api, alice, "Secrets", "password", ["thread"], "hide")
    await settle(api.runtime)
    async with sse(live, "direct", alice.token) as stream:
        await _post(api, bob, "@alice the password is hunter2", "direct")
        kept = await _post(api, bob, "@alice hello", "direct")
        event, conversation = await stream.next_json()
        assert event == "conversation"
        assert conversation["last_status"]["id"] == kept["id"]
