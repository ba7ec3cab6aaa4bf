"""Followed tags: follow, unfollow, list, show, and the home feed they fill."""

from __future__ import annotations

from tests.integration.mastodon.conftest import Api


async def test_follow_a_tag_list_it_and_see_a_strangers_post_in_home(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    followed = await api.call("POST", "/api/v1/tags/Cats/follow", alice, schema="Tag")
    assert followed["following"] is True
    assert followed["name"] == "Cats"
    listed = await api.call("GET", "/api/v1/followed_tags", alice, schema="Tag[]")
    assert [t["name"] for t in listed] == ["Cats"]
    shown = await api.call("GET", "/api/v1/tags/cats", alice, schema="Tag")
    assert shown["following"] is True
    anonymous = await api.call("GET", "/api/v1/tags/cats", schema="Tag")
    assert anonymous["following"] is None
    posted = await api.call("POST", "/api/v1/statuses", bob, data={"status": "meow #cats"})
    home = await api.call("GET", "/api/v1/timelines/home", alice, schema="Status[]")
    assert [s["id"] for s in home] == [posted["id"]]
    unfollowed = await api.call("POST", "/api/v1/tags/cats/unfollow", alice, schema="Tag")
    assert unfollowed["following"] is False
    assert await api.call("GET", "/api/v1/followed_tags", alice) == []


async def test_unknown_and_impossible_tags_are_not_found(api: Api) -> None:
    alice = await api.member("alice")
    await api.call("GET", "/api/v1/tags/neverused", alice, status=404)
    await api.call("POST", "/api/v1/tags/neverused/unfollow", alice, status=404)
    await api.call("POST", "/api/v1/tags/no-dash/follow", alice, status=404)
    assert await api.call("GET", "/api/v1/followed_tags", alice) == []


async def test_following_a_tag_needs_a_member_with_the_follow_scope(api: Api) -> None:
    reader = await api.member("reader", scopes="read")
    await api.call("POST", "/api/v1/tags/cats/follow", reader, status=403)
    await api.call("POST", "/api/v1/tags/cats/follow", status=401)
    assert await api.call("GET", "/api/v1/followed_tags", reader) == []
