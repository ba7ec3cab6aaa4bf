"""The streaming API on a live server: who gets which event, over event streams and WebSockets.

Jobs run one at a time in the order they were written, so when a later post arrives first
on a stream, nothing written before it went there: that is how "never receives" is shown
without waiting for a timeout.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from parley.mastodon.streaming import channels as ch
from parley.mastodon.streaming import routes as streaming_routes
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.streaming.conftest import Live, settle, sse, websocket

pytestmark = pytest.mark.slow


async def _post(api: Api, author: Caller, text: str, visibility: str = "public") -> Any:
    return await api.call(
        "POST", "/api/v1/statuses", author, data={"status": text, "visibility": visibility}
    )


async def _follow(api: Api, follower: Caller, target: Caller) -> None:
    await api.call("POST", f"/api/v1/accounts/{target.id}/follow", follower)


async def test_user_stream_gets_followed_posts_and_mention_notifications(
    live: Live, api: Api
) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await _follow(api, alice, bob)
    async with sse(live, "user", alice.token) as stream:
        post = await _post(api, bob, "For my followers", "private")
        event, status = await stream.next_json()
        assert (event, status["id"]) == ("update", post["id"])
        assert_conforms(status, "Status")
        assert status["favourited"] is False  # rendered for alice, as her home shows it

        mention = await _post(api, bob, "@alice look at this")
        received = dict([await stream.next_json(), await stream.next_json()])
        assert received["update"]["id"] == mention["id"]
        notification = received["notification"]
        assert_conforms(notification, "Notification")
        assert notification["type"] == "mention"
        assert notification["status"]["id"] == mention["id"]


async def test_followers_only_and_unlisted_posts_never_reach_strangers_or_public_streams(
    live: Live, api: Api
) -> None:
    alice, bob, carol = [await api.member(n) for n in ("alice", "bob", "carol")]
    await _follow(api, alice, bob)
    async with (
        websocket(live, alice.token, "?stream=user") as follower,
        websocket(live, carol.token, "?stream=user") as stranger,
    ):
        await stranger.send(type="subscribe", stream="public")
        await stranger.send(type="subscribe", stream="public:local")
        await live.until_listening(ch.PUBLIC_LOCAL)
        private = await _post(api, bob, "followers only", "private")
        unlisted = await _post(api, bob, "quietly", "unlisted")
        public = await _post(api, bob, "for everyone", "public")

        seen = [await follower.next() for _ in range(3)]
        assert [m["payload"]["id"] for m in seen] == [private["id"], unlisted["id"], public["id"]]
        assert {(tuple(m["stream"]), m["event"]) for m in seen} == {(("user",), "update")}

        first, second = await stranger.next(), await stranger.next()
        assert {tuple(m["stream"]) for m in (first, second)} == {("public",), ("public:local",)}
        assert {m["payload"]["id"] for m in (first, second)} == {public["id"]}
        assert "favourited" not in first["payload"]  # public streams: rendered for no one
        with pytest.raises(TimeoutError):
            await stranger.next(wait=0.5)


async def test_edits_and_deletions_reach_home_and_public_streams(live: Live, api: Api) -> None:
    alice, bob, carol = [await api.member(n) for n in ("alice", "bob", "carol")]
    await _follow(api, alice, bob)
    async with (
        sse(live, "user", alice.token) as home,
        websocket(live, carol.token, "?stream=public") as public,
    ):
        post = await _post(api, bob, "first words")
        assert (await home.next_json())[1]["id"] == post["id"]
        assert (await public.next())["payload"]["id"] == post["id"]

        await api.call("PUT", f"/api/v1/statuses/{post['id']}", bob, data={"status": "better"})
        event, edited = await home.next_json()
        assert event == "status.update"
        assert "better" in edited["content"]
        assert edited["edited_at"] is not None
        message = await public.next()
        assert message["event"] == "status.update"
        assert message["payload"]["id"] == post["id"]

        await api.call("DELETE", f"/api/v1/statuses/{post['id']}", bob)
        assert await home.next() == ("delete", post["id"])
        deleted = {"stream": ["public"], "event": "delete", "payload": post["id"]}
        assert await public.next() == deleted


async def test_echoes_reach_followers_of_the_echoer_with_their_own_flags(
    live: Live, api: Api
) -> None:
    alice, bob, carol = [await api.member(n) for n in ("alice", "bob", "carol")]
    await _follow(api, alice, carol)
    post = await _post(api, bob, "worth sharing")
    await api.call("POST", f"/api/v1/statuses/{post['id']}/favourite", alice)
    await settle(api.runtime)
    async with sse(live, "user", alice.token) as home, sse(live, "user", bob.token) as author:
        echo = await api.call("POST", f"/api/v1/statuses/{post['id']}/reblog", carol)
        event, status = await home.next_json()
        assert (event, status["id"]) == ("update", echo["id"])
        assert status["reblog"]["id"] == post["id"]
        assert status["reblog"]["favourited"] is True  # alice's own upvote, rendered for her
        event, notification = await author.next_json()
        assert event == "notification"
        assert (notification["type"], notification["account"]["id"]) == ("reblog", carol.id)


async def test_blocked_and_muted_accounts_are_kept_off_public_streams(live: Live, api: Api) -> None:
    bob, carol, dave, erin = [await api.member(n) for n in ("bob", "carol", "dave", "erin")]
    await api.call("POST", f"/api/v1/accounts/{dave.id}/mute", carol)
    async with websocket(live, carol.token, "?stream=public") as stream:
        await live.until_listening(ch.PUBLIC)
        # Blocked while connected: the block's event reloads the connection's filter.
        await api.call("POST", f"/api/v1/accounts/{carol.id}/block", bob)
        await _post(api, bob, "carol must not see this")
        await _post(api, dave, "muted chatter")
        visible = await _post(api, erin, "hello all")
        assert (await stream.next())["payload"]["id"] == visible["id"]


async def test_hashtag_list_and_direct_streams(live: Live, api: Api) -> None:
    alice, bob, carol = [await api.member(n) for n in ("alice", "bob", "carol")]
    await _follow(api, alice, bob)
    listed = await api.call("POST", "/api/v1/lists", alice, data={"title": "Friends"})
    await api.call(
        "POST", f"/api/v1/lists/{listed['id']}/accounts", alice, data={"account_ids[]": bob.id}
    )
    async with websocket(live, alice.token) as stream, sse(live, "direct", carol.token) as dm:
        await stream.send(type="subscribe", stream="hashtag", tag="Cats")
        await stream.send(type="subscribe", stream="list", list=listed["id"])
        await live.until_listening(ch.list_channel(int(listed["id"])))
        unlisted = await _post(api, bob, "I like #cats", "unlisted")  # in lists, not in tags
        tagged = await _post(api, bob, "I like #cats too")
        received = [await stream.next() for _ in range(3)]
        assert sorted((tuple(m["stream"]), m["payload"]["id"]) for m in received) == sorted(
            [
                (("list", listed["id"]), unlisted["id"]),
                (("list", listed["id"]), tagged["id"]),
                (("hashtag", "Cats"), tagged["id"]),
            ]
        )

        await stream.send(type="unsubscribe", stream="hashtag", tag="Cats")
        secret = await _post(api, bob, "@carol #cats between us", "direct")
        again = await _post(api, bob, "more #cats")
        message = await stream.next()
        assert message["stream"] == ["list", listed["id"]]
        assert message["payload"]["id"] == again["id"]

        event, conversation = await dm.next_json()
        assert event == "conversation"
        assert_conforms(conversation, "Conversation")
        assert conversation["last_status"]["id"] == secret["id"]
        assert [a["id"] for a in conversation["accounts"]] == [bob.id]


async def test_bad_tokens_scopes_and_streams_are_refused(live: Live, api: Api) -> None:
    alice = await api.member("alice")
    writer = await api.token(alice.user, scopes="write")
    async with httpx.AsyncClient(base_url=live.url) as client:
        health = await client.get("/api/v1/streaming/health")
        assert (health.status_code, health.text) == (200, "OK")

        async def refused(path: str, token: str | None, **params: str) -> tuple[int, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await client.get(path, params=params, headers=headers)
            return response.status_code, response.json()

        status, body = await refused("/api/v1/streaming/user", None)
        assert (status, body) == (401, {"error": "Missing access token"})
        assert (await refused("/api/v1/streaming/user", "nope"))[0] == 401
        assert (await refused("/api/v1/streaming/public", writer))[0] == 401
        status, body = await refused("/api/v1/streaming/nonsense", alice.token)
        assert (status, body) == (400, {"error": "Unknown stream type"})
        assert (await refused("/api/v1/streaming/hashtag", alice.token))[0] == 400
        assert (await refused("/api/v1/streaming/list", alice.token, list="12345"))[0] == 401

    with pytest.raises(InvalidStatus) as refusal:
        async with websocket(live, "not-a-token"):
            pass
    assert refusal.value.response.status_code == 401
    async with websocket(live, alice.token, "?stream=nonsense") as stream:
        assert await stream.next() == {"error": "Unknown stream type", "status": 400}
        await stream.send(type="subscribe", stream="hashtag")
        assert (await stream.next())["status"] == 400


async def test_instance_advertises_the_streaming_url(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        v1 = (await client.get("/api/v1/instance")).json()
        v2 = (await client.get("/api/v2/instance")).json()
    assert_conforms(v1, "V1Instance")
    assert_conforms(v2, "Instance")
    ws_origin = "ws" + live.url.removeprefix("http")
    assert v1["urls"]["streaming_api"] == ws_origin
    assert v2["configuration"]["urls"]["streaming"] == ws_origin


async def test_notification_stream_carries_each_kind_of_notification_and_nothing_else(
    live: Live, api: Api
) -> None:
    alice, bob, erin = [await api.member(n) for n in ("alice", "bob", "erin")]
    async with (
        sse(live, "user/notification", bob.token) as bobs,
        sse(live, "user/notification", alice.token) as alices,
    ):
        await _follow(api, alice, bob)
        post = await _post(api, bob, "notice me")
        await api.call("POST", f"/api/v1/statuses/{post['id']}/favourite", alice)
        await api.call("POST", f"/api/v1/statuses/{post['id']}/reblog", alice)
        await api.call(
            "POST",
            "/api/v1/statuses",
            alice,
            data={"status": "@bob noticed", "in_reply_to_id": post["id"]},
        )
        await api.call("PATCH", "/api/v1/accounts/update_credentials", bob, data={"locked": "1"})
        await _follow(api, erin, bob)
        kinds = []
        for _ in range(5):
            event, notification = await bobs.next_json()
            assert event == "notification"
            assert_conforms(notification, "Notification")
            kinds.append((notification["type"], notification["account"]["id"]))
        assert kinds == [
            ("follow", alice.id),
            ("favourite", alice.id),
            ("reblog", alice.id),
            ("mention", alice.id),
            ("follow_request", erin.id),
        ]

        await api.call("PUT", f"/api/v1/statuses/{post['id']}", bob, data={"status": "edited"})
        event, notification = await alices.next_json()
        assert (event, notification["type"]) == ("notification", "update")
        assert notification["status"]["id"] == post["id"]


async def test_event_streams_send_heartbeats_while_idle(
    live: Live, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming_routes, "HEARTBEAT", 0.1)
    alice = await api.member("alice")
    async with sse(live, "public/local", alice.token) as stream:
        async with asyncio.timeout(5):
            assert [await anext(stream.lines), await anext(stream.lines)] == [":thump", ":thump"]


async def test_websocket_survives_garbage_and_unsubscribes(live: Live, api: Api) -> None:
    alice = await api.member("alice")
    async with websocket(live, alice.token, "?stream=public") as stream:
        await stream.socket.send(b"\xff binary")
        assert (await stream.next())["status"] == 400
        await stream.socket.send('{"type": "subscribe", "stream": ["not", "a", "name"]}')
        assert (await stream.next())["error"] == "Unknown stream type"
        await stream.send(type="unsubscribe", stream="public")
        await live.until_listening(ch.PUBLIC, listening=False)
        await _post(api, alice, "nobody listens")
        with pytest.raises(TimeoutError):
            await stream.next(wait=1.0)
