"""Conversations: threads of mentioned-only statuses."""

from __future__ import annotations

from tests.integration.mastodon.conftest import Api


async def test_a_direct_thread_is_a_conversation_read_and_removed(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    carol = await api.member("carol")
    first = await api.call(
        "POST", "/api/v1/statuses", alice, data={"status": "@bob hi", "visibility": "direct"}
    )
    await api.call("POST", "/api/v1/statuses", alice, data={"status": "public @bob"})
    (conv,) = await api.call("GET", "/api/v1/conversations", bob, schema="Conversation[]")
    assert conv["unread"] is True
    assert conv["last_status"]["id"] == first["id"]
    assert [a["username"] for a in conv["accounts"]] == ["alice"]
    (mine,) = await api.call("GET", "/api/v1/conversations", alice, schema="Conversation[]")
    assert mine["unread"] is False
    assert await api.call("GET", "/api/v1/conversations", carol) == []
    await api.call("POST", f"/api/v1/conversations/{conv['id']}/read", carol, status=404)
    await api.call("DELETE", f"/api/v1/conversations/{conv['id']}", carol, status=404)
    read = await api.call(
        "POST", f"/api/v1/conversations/{conv['id']}/read", bob, schema="Conversation"
    )
    assert read["unread"] is False
    reply = await api.call(
        "POST",
        "/api/v1/statuses",
        bob,
        data={"status": "@alice hello", "visibility": "direct", "in_reply_to_id": first["id"]},
    )
    (again,) = await api.call("GET", "/api/v1/conversations", alice, schema="Conversation[]")
    assert (again["id"], again["unread"]) == (conv["id"], True)
    assert again["last_status"]["id"] == reply["id"]
    assert await api.call("DELETE", f"/api/v1/conversations/{conv['id']}", bob) == {}
    assert await api.call("GET", "/api/v1/conversations", bob) == []
    await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        data={"status": "@bob still there?", "visibility": "direct", "in_reply_to_id": reply["id"]},
    )
    (back,) = await api.call("GET", "/api/v1/conversations", bob, schema="Conversation[]")
    assert back["unread"] is True


async def test_unknown_conversations_are_not_found(api: Api) -> None:
    alice = await api.member("alice")
    for method, path in (
        ("POST", "/api/v1/conversations/123/read"),
        ("DELETE", "/api/v1/conversations/123"),
        ("DELETE", "/api/v1/conversations/abc"),
    ):
        assert await api.call(method, path, alice, status=404) == {"error": "Record not found"}
