"""Statuses, interactions, timelines, notifications, polls, lists and markers."""

from __future__ import annotations

from tests.integration.mastodon.conftest import Api


async def test_post_read_edit_and_delete_a_status(api: Api) -> None:
    alice = await api.member("alice")
    posted = await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        data={"status": "Hello #parley", "spoiler_text": "cw", "visibility": "unlisted"},
        schema="Status",
    )
    assert posted["visibility"] == "unlisted"
    assert posted["tags"][0]["name"] == "parley"
    assert posted["application"]["name"] == "Test app"
    sid = posted["id"]
    await api.call("GET", f"/api/v1/statuses/{sid}", schema="Status")
    edited = await api.call(
        "PUT", f"/api/v1/statuses/{sid}", alice, data={"status": "Hello again"}, schema="Status"
    )
    assert "again" in edited["content"]
    assert edited["edited_at"] is not None
    edits = await api.call("GET", f"/api/v1/statuses/{sid}/history", alice, schema="StatusEdit[]")
    assert len(edits) == 2
    source = await api.call("GET", f"/api/v1/statuses/{sid}/source", alice, schema="StatusSource")
    assert source["text"] == "Hello again"
    deleted = await api.call(
        "DELETE", f"/api/v1/statuses/{sid}", alice, schema="Status", context="delete"
    )
    assert deleted["text"] == "Hello again"
    await api.call("GET", f"/api/v1/statuses/{sid}", alice, status=404)


async def test_idempotency_key_returns_the_first_status(api: Api) -> None:
    alice = await api.member("alice")
    headers = {"Idempotency-Key": "abc-123"}
    first = await api.call(
        "POST", "/api/v1/statuses", alice, headers=headers, json={"status": "once"}
    )
    second = await api.call(
        "POST", "/api/v1/statuses", alice, headers=headers, json={"status": "once"}
    )
    assert first["id"] == second["id"]
    statuses = await api.call("GET", f"/api/v1/accounts/{alice.id}/statuses", alice)
    assert len(statuses) == 1


async def test_bad_statuses_are_refused_and_nothing_is_posted(api: Api) -> None:
    alice = await api.member("alice")
    for data in (
        {"status": ""},
        {"status": "x" * 1001},
        {"status": "hi", "visibility": "everyone"},
        {"status": "hi", "media_ids[]": "1"},
        {"status": "hi", "media_ids[]": "\u00b2"},
        {"status": "hi", "scheduled_at": "2020-01-01T00:00:00Z"},
        {"status": "hi", "poll[options][]": "one", "poll[expires_in]": "600"},
        {"status": "hi", "poll[options][]": ["a", "b"]},
    ):
        body = await api.call("POST", "/api/v1/statuses", alice, status=422, data=data)
        assert body["error"].startswith("Validation failed"), data
    await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        status=404,
        data={"status": "hi", "in_reply_to_id": "123"},
    )
    await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        status=400,
        content=b"[",
        headers={"content-type": "application/json"},
    )
    assert await api.call("GET", f"/api/v1/accounts/{alice.id}/statuses", alice) == []


async def test_others_statuses_cannot_be_changed_and_private_ones_stay_hidden(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    public = await api.call("POST", "/api/v1/statuses", alice, data={"status": "mine"})
    private = await api.call(
        "POST", "/api/v1/statuses", alice, data={"status": "secret", "visibility": "private"}
    )
    await api.call("DELETE", f"/api/v1/statuses/{public['id']}", bob, status=403)
    await api.call("PUT", f"/api/v1/statuses/{public['id']}", bob, status=403, data={"status": "x"})
    await api.call("GET", f"/api/v1/statuses/{public['id']}/source", bob, status=403)
    for path in ("", "/context", "/history", "/favourited_by"):
        await api.call("GET", f"/api/v1/statuses/{private['id']}{path}", bob, status=404)
    await api.call("POST", f"/api/v1/statuses/{private['id']}/favourite", bob, status=404)
    await api.call("GET", f"/api/v1/statuses/{private['id']}", status=404)
    still = await api.call("GET", f"/api/v1/statuses/{public['id']}", alice)
    assert still["content"] == "<p>mine</p>"


async def test_favourite_reblog_bookmark_pin_and_notifications(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", bob)
    post = await api.call("POST", "/api/v1/statuses", alice, data={"status": "hi @bob"})
    sid = post["id"]
    fav = await api.call("POST", f"/api/v1/statuses/{sid}/favourite", bob, schema="Status")
    assert fav["favourited"] is True
    assert fav["favourites_count"] == 1
    reblog = await api.call("POST", f"/api/v1/statuses/{sid}/reblog", bob, schema="Status")
    assert reblog["reblog"]["id"] == sid
    assert reblog["reblogged"] is True
    bm = await api.call("POST", f"/api/v1/statuses/{sid}/bookmark", bob)
    assert bm["bookmarked"] is True
    pinned = await api.call("POST", f"/api/v1/statuses/{sid}/pin", alice)
    assert pinned["pinned"] is True
    await api.call("POST", f"/api/v1/statuses/{sid}/pin", bob, status=403)
    who = await api.call("GET", f"/api/v1/statuses/{sid}/favourited_by", schema="Account[]")
    assert [a["id"] for a in who] == [bob.id]
    who = await api.call("GET", f"/api/v1/statuses/{sid}/reblogged_by", schema="Account[]")
    assert [a["id"] for a in who] == [bob.id]
    assert [s["id"] for s in await api.call("GET", "/api/v1/bookmarks", bob)] == [sid]
    assert [s["id"] for s in await api.call("GET", "/api/v1/favourites", bob)] == [sid]
    pins = await api.call("GET", f"/api/v1/accounts/{alice.id}/statuses?pinned=true", bob)
    assert [s["id"] for s in pins] == [sid]

    notes = await api.call("GET", "/api/v1/notifications", alice, schema="Notification[]")
    assert {n["type"] for n in notes} == {"follow", "favourite", "reblog"}
    only = await api.call("GET", "/api/v1/notifications?types[]=favourite", alice)
    assert [n["type"] for n in only] == ["favourite"]
    none = await api.call("GET", "/api/v1/notifications?types[]=admin.sign_up", alice)
    assert none == []
    mentions = await api.call("GET", "/api/v1/notifications", bob, schema="Notification[]")
    assert [n["type"] for n in mentions] == ["mention"]
    one = await api.call(
        "GET", f"/api/v1/notifications/{notes[0]['id']}", alice, schema="Notification"
    )
    assert one["id"] == notes[0]["id"]
    await api.call("GET", f"/api/v1/notifications/{notes[0]['id']}", bob, status=404)
    await api.call("POST", f"/api/v1/notifications/{notes[0]['id']}/dismiss", bob, status=404)
    await api.call("POST", f"/api/v1/notifications/{notes[0]['id']}/dismiss", alice)
    await api.call("POST", "/api/v1/notifications/clear", alice)
    assert await api.call("GET", "/api/v1/notifications", alice) == []

    unfav = await api.call("POST", f"/api/v1/statuses/{sid}/unfavourite", bob)
    assert unfav["favourited"] is False
    unreblog = await api.call("POST", f"/api/v1/statuses/{sid}/unreblog", bob)
    assert unreblog["reblogged"] is False


async def test_timelines_and_context_with_pagination(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", bob)
    ids = []
    for n in range(3):
        posted = await api.call("POST", "/api/v1/statuses", alice, data={"status": f"post {n}"})
        ids.append(posted["id"])
    response = await api.client.get("/api/v1/timelines/home?limit=2", headers=bob.headers)
    page = response.json()
    assert [s["id"] for s in page] == [ids[2], ids[1]]
    assert 'rel="next"' in response.headers["link"]
    assert f"max_id={ids[1]}" in response.headers["link"]
    older = await api.call("GET", f"/api/v1/timelines/home?limit=2&max_id={ids[1]}", bob)
    assert [s["id"] for s in older] == [ids[0]]
    newer = await api.call("GET", f"/api/v1/timelines/home?min_id={ids[0]}", bob)
    assert [s["id"] for s in newer] == [ids[2], ids[1]]
    await api.call("GET", "/api/v1/timelines/home?max_id=abc", bob, status=422)
    await api.call("GET", "/api/v1/timelines/home", status=401)
    public = await api.call("GET", "/api/v1/timelines/public?local=true", schema="Status[]")
    assert len(public) == 3
    reply = await api.call(
        "POST",
        "/api/v1/statuses",
        bob,
        data={"status": "@alice nice #tagged", "in_reply_to_id": ids[0]},
    )
    thread = await api.call("GET", f"/api/v1/statuses/{ids[0]}/context", schema="Context")
    assert [s["id"] for s in thread["descendants"]] == [reply["id"]]
    tagged = await api.call("GET", "/api/v1/timelines/tag/tagged", schema="Status[]")
    assert [s["id"] for s in tagged] == [reply["id"]]
    own = await api.call(
        "GET", f"/api/v1/accounts/{bob.id}/statuses?exclude_replies=true", schema="Status[]"
    )
    assert own == []
    several = await api.call("GET", f"/api/v1/statuses?id[]={ids[0]}&id[]=123", schema="Status[]")
    assert [s["id"] for s in several] == [ids[0]]
    # Values that cannot be IDs name nothing: ignored, never a 500.
    odd = {"id[]": ["\u00b2", "9" * 19, ids[0]]}
    several = await api.call("GET", "/api/v1/statuses", params=odd, schema="Status[]")
    assert [s["id"] for s in several] == [ids[0]]


async def test_polls_votes_and_errors(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    posted = await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        json={"status": "pick", "poll": {"options": ["a", "b"], "expires_in": 3600}},
        schema="Status",
    )
    poll_id = posted["poll"]["id"]
    voted = await api.call(
        "POST", f"/api/v1/polls/{poll_id}/votes", bob, data={"choices[]": "1"}, schema="Poll"
    )
    assert voted["own_votes"] == [1]
    assert voted["votes_count"] == 1
    await api.call(
        "POST", f"/api/v1/polls/{poll_id}/votes", bob, status=422, data={"choices[]": "0"}
    )
    await api.call(
        "POST", f"/api/v1/polls/{poll_id}/votes", alice, status=422, data={"choices[]": "9"}
    )
    await api.call(
        "POST", f"/api/v1/polls/{poll_id}/votes", alice, status=422, data={"choices[]": "\u00b2"}
    )
    await api.call("GET", f"/api/v1/polls/{poll_id}", schema="Poll")
    await api.call("GET", "/api/v1/polls/123", status=404)


async def test_lists_and_markers(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    created = await api.call(
        "POST", "/api/v1/lists", alice, data={"title": "Friends"}, schema="List"
    )
    lid = created["id"]
    await api.call("POST", "/api/v1/lists", alice, status=422, data={"title": ""})
    await api.call("POST", f"/api/v1/lists/{lid}/accounts", alice, data={"account_ids[]": bob.id})
    members = await api.call("GET", f"/api/v1/lists/{lid}/accounts", alice, schema="Account[]")
    assert [m["id"] for m in members] == [bob.id]
    await api.call("GET", f"/api/v1/lists/{lid}", bob, status=404)
    await api.call("DELETE", f"/api/v1/lists/{lid}", bob, status=404)
    renamed = await api.call("PUT", f"/api/v1/lists/{lid}", alice, data={"title": "Pals"})
    assert renamed["title"] == "Pals"
    assert [x["id"] for x in await api.call("GET", f"/api/v1/accounts/{bob.id}/lists", alice)] == [
        lid
    ]
    posted = await api.call("POST", "/api/v1/statuses", bob, data={"status": "in list"})
    timeline = await api.call("GET", f"/api/v1/timelines/list/{lid}", alice, schema="Status[]")
    assert [s["id"] for s in timeline] == [posted["id"]]
    await api.call("DELETE", f"/api/v1/lists/{lid}", alice)
    assert await api.call("GET", "/api/v1/lists", alice) == []

    saved = await api.call(
        "POST", "/api/v1/markers", alice, json={"home": {"last_read_id": posted["id"]}}
    )
    assert saved["home"]["last_read_id"] == posted["id"]
    markers = await api.call("GET", "/api/v1/markers?timeline[]=home", alice)
    assert markers["home"]["last_read_id"] == posted["id"]
    await api.call(
        "POST", "/api/v1/markers", alice, status=404, json={"home": {"last_read_id": "x"}}
    )


async def test_grouped_notifications_and_unread_count(api: Api) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", bob)
    post = await api.call("POST", "/api/v1/statuses", alice, data={"status": "hi"})
    await api.call("POST", f"/api/v1/statuses/{post['id']}/favourite", bob)
    grouped = await api.call(
        "GET", "/api/v2/notifications", alice, schema="GroupedNotificationsResults"
    )
    assert [g["type"] for g in grouped["notification_groups"]] == ["favourite", "follow"]
    assert [s["id"] for s in grouped["statuses"]] == [post["id"]]
    key = grouped["notification_groups"][0]["group_key"]
    one = await api.call("GET", f"/api/v2/notifications/{key}", alice)
    assert one["notification_groups"][0]["group_key"] == key
    await api.call("GET", f"/api/v2/notifications/{key}", bob, status=404)
    await api.call("GET", "/api/v2/notifications/nonsense", alice, status=404)
    count = await api.call("GET", "/api/v1/notifications/unread_count", alice)
    assert count == {"count": 2}
    await api.call("POST", f"/api/v2/notifications/{key}/dismiss", alice)
    left = await api.call("GET", "/api/v2/notifications", alice)
    assert [g["type"] for g in left["notification_groups"]] == ["follow"]
