"""Tag `history`: the last 7 days of uses and distinct authors, as Mastodon's strings, on
every endpoint that answers a Tag (show, follow, followed tags, search)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from tests.integration.mastodon.conftest import Api, Caller


def _midnight_today() -> str:
    now = datetime.now(UTC)
    return str(int(datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp()))


async def _post(api: Api, author: Caller, text: str, visibility: str = "public") -> Any:
    return await api.call(
        "POST", "/api/v1/statuses", author, data={"status": text, "visibility": visibility}
    )


async def test_tag_history_counts_todays_public_uses_and_authors(api: Api) -> None:
    alice, bob, carol = [await api.member(n) for n in ("alice", "bob", "carol")]
    first = await _post(api, alice, "#Cats one")
    await _post(api, alice, "#cats two")
    await _post(api, bob, "quietly #cats", "unlisted")
    await _post(api, carol, "secret #cats", "private")  # not counted: not public
    await _post(api, carol, "only you #cats @alice", "direct")
    await api.call("POST", f"/api/v1/statuses/{first['id']}/reblog", carol)  # echoes neither

    shown = await api.call("GET", "/api/v1/tags/cats", alice, schema="Tag")

    history = shown["history"]
    assert len(history) == 7
    assert history[0] == {"day": _midnight_today(), "uses": "3", "accounts": "2"}
    days = [int(d["day"]) for d in history]
    assert days == sorted(days, reverse=True)
    assert all(a - b == 86400 for a, b in itertools.pairwise(days))
    assert all(d["uses"] == "0" and d["accounts"] == "0" for d in history[1:])


async def test_every_tag_endpoint_carries_the_history(api: Api) -> None:
    alice = await api.member("alice")
    await _post(api, alice, "#gardening today")
    today = {"day": _midnight_today(), "uses": "1", "accounts": "1"}

    followed = await api.call("POST", "/api/v1/tags/gardening/follow", alice, schema="Tag")
    assert followed["history"][0] == today
    listed = await api.call("GET", "/api/v1/followed_tags", alice, schema="Tag[]")
    assert listed[0]["history"][0] == today
    found = await api.call(
        "GET", "/api/v2/search", alice, params={"q": "#garden", "type": "hashtags"}
    )
    assert found["hashtags"][0]["history"][0] == today
    anonymous = await api.call("GET", "/api/v1/tags/gardening", schema="Tag")
    assert anonymous["history"][0] == today
    unfollowed = await api.call("POST", "/api/v1/tags/gardening/unfollow", alice, schema="Tag")
    assert unfollowed["history"][0] == today


async def test_a_deleted_post_no_longer_counts(api: Api) -> None:
    alice = await api.member("alice")
    post = await _post(api, alice, "#oops")
    await _post(api, alice, "#oops again")
    await api.call("DELETE", f"/api/v1/statuses/{post['id']}", alice)
    shown = await api.call("GET", "/api/v1/tags/oops", alice, schema="Tag")
    assert shown["history"][0]["uses"] == "1"
