"""Filters v2 and the v1 shim; `filtered` and hidden statuses in timelines and notifications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.filters.models import Filter
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller


async def _filter(api: Api, caller: Caller, **data: Any) -> Any:
    body = {"title": "Cats", "context": ["home"], "filter_action": "warn", **data}
    return await api.call("POST", "/api/v2/filters", caller, json=body, schema="Filter")


async def test_filter_crud_with_keywords_and_statuses(api: Api) -> None:
    alice = await api.member("alice")
    created = await api.call(
        "POST",
        "/api/v2/filters",
        alice,
        data={
            "title": "Cats",
            "context[]": ["home", "public"],
            "filter_action": "hide",
            "expires_in": "3600",
            "keywords_attributes[][keyword]": "cat",
            "keywords_attributes[][whole_word]": "false",
        },
        schema="Filter",
    )
    assert created["keywords"][0]["keyword"] == "cat"
    assert created["keywords"][0]["whole_word"] is False
    assert created["expires_at"] is not None
    fid = created["id"]
    assert [f["id"] for f in await api.call("GET", "/api/v2/filters", alice, schema="Filter[]")]
    updated = await api.call(
        "PUT",
        f"/api/v2/filters/{fid}",
        alice,
        json={"title": "Kittens", "expires_in": "", "context": ["notifications"]},
        schema="Filter",
    )
    assert (updated["title"], updated["expires_at"], updated["context"]) == (
        "Kittens",
        None,
        ["notifications"],
    )
    keyword = await api.call(
        "POST",
        f"/api/v2/filters/{fid}/keywords",
        alice,
        data={"keyword": "kitten"},
        schema="FilterKeyword",
    )
    await api.call("GET", f"/api/v2/filters/{fid}/keywords", alice, schema="FilterKeyword[]")
    await api.call(
        "PUT",
        f"/api/v2/filters/keywords/{keyword['id']}",
        alice,
        data={"whole_word": "false"},
        schema="FilterKeyword",
    )
    post = await api.call("POST", "/api/v1/statuses", alice, data={"status": "mine"})
    filtered = await api.call(
        "POST",
        f"/api/v2/filters/{fid}/statuses",
        alice,
        data={"status_id": post["id"]},
        schema="FilterStatus",
    )
    await api.call("GET", f"/api/v2/filters/{fid}/statuses", alice, schema="FilterStatus[]")
    await api.call(
        "GET", f"/api/v2/filters/statuses/{filtered['id']}", alice, schema="FilterStatus"
    )
    await api.call("DELETE", f"/api/v2/filters/statuses/{filtered['id']}", alice)
    await api.call("DELETE", f"/api/v2/filters/keywords/{keyword['id']}", alice)
    assert await api.call("DELETE", f"/api/v2/filters/{fid}", alice) == {}
    await api.call("GET", f"/api/v2/filters/{fid}", alice, status=404)


async def test_bad_input_and_other_members_filters_change_nothing(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    mine = await _filter(api, alice, keywords_attributes=[{"keyword": "cat"}])
    for body in (
        {"title": "x", "context": ["everywhere"]},
        {"title": "x", "context": ["home"], "filter_action": "explode"},
        {"title": "", "context": ["home"]},
        {"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": ""}]},
    ):
        await api.call("POST", "/api/v2/filters", alice, json=body, status=422)
    assert len(await api.call("GET", "/api/v2/filters", alice)) == 1
    kid = mine["keywords"][0]["id"]
    for method, path in (
        ("GET", f"/api/v2/filters/{mine['id']}"),
        ("PUT", f"/api/v2/filters/{mine['id']}"),
        ("DELETE", f"/api/v2/filters/{mine['id']}"),
        ("GET", f"/api/v2/filters/keywords/{kid}"),
        ("DELETE", f"/api/v2/filters/keywords/{kid}"),
        ("GET", f"/api/v1/filters/{kid}"),
        ("GET", "/api/v2/filters/12345"),
    ):
        body = await api.call(method, path, bob, status=404)
        assert body == {"error": "Record not found"}
    await api.call(
        "PUT",
        f"/api/v2/filters/{mine['id']}",
        alice,
        json={"context": ["nowhere"], "title": "changed"},
        status=422,
    )
    (kept,) = await api.call("GET", "/api/v2/filters", alice)
    assert (kept["title"], kept["context"]) == ("Cats", ["home"])


async def test_warn_marks_and_hide_removes_in_the_chosen_contexts_only(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice)
    await _filter(api, alice, title="Warn", keywords_attributes=[{"keyword": "cat"}])
    await _filter(
        api,
        alice,
        title="Hide",
        context=["home", "notifications"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "dog"}],
    )
    cat = await api.call("POST", "/api/v1/statuses", bob, data={"status": "a cat"})
    dog = await api.call(
        "POST", "/api/v1/statuses", bob, data={"status": "@alice a dog", "visibility": "public"}
    )
    home = await api.call("GET", "/api/v1/timelines/home", alice, schema="Status[]")
    assert [s["id"] for s in home] == [cat["id"]]
    assert home[0]["filtered"][0]["filter"]["title"] == "Warn"
    assert home[0]["filtered"][0]["keyword_matches"] == ["cat"]
    for result in home[0]["filtered"]:
        assert_conforms(result, "FilterResult")
    public = await api.call("GET", "/api/v1/timelines/public", alice, schema="Status[]")
    assert {s["id"] for s in public} == {cat["id"], dog["id"]}
    assert all(s["filtered"] == [] for s in public)
    notifications = await api.call("GET", "/api/v1/notifications", alice)
    assert dog["id"] not in [n["status"]["id"] for n in notifications if n.get("status")]
    grouped = await api.call("GET", "/api/v2/notifications", alice)
    assert dog["id"] not in [s["id"] for s in grouped["statuses"]]
    profile = await api.call("GET", f"/api/v1/accounts/{bob.id}/statuses", alice)
    assert len(profile) == 2


async def test_expired_filters_do_nothing(api: Api) -> None:
    alice = await api.member("alice")
    created = await _filter(
        api, alice, filter_action="hide", keywords_attributes=[{"keyword": "cat"}]
    )
    async with api.runtime.db.transaction() as session:
        await session.execute(
            update(Filter)
            .where(Filter.id == int(created["id"]))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    await api.call("POST", "/api/v1/statuses", alice, data={"status": "my cat"})
    home = await api.call("GET", "/api/v1/timelines/home", alice, schema="Status[]")
    assert len(home) == 1
    assert home[0]["filtered"] == []


async def test_v1_filters_are_keywords(api: Api) -> None:
    alice = await api.member("alice")
    created = await api.call(
        "POST",
        "/api/v1/filters",
        alice,
        data={"phrase": "cat", "context[]": ["home"], "irreversible": "true"},
        schema="V1Filter",
    )
    assert created["irreversible"] is True
    listed = await api.call("GET", "/api/v1/filters", alice, schema="V1Filter[]")
    assert [f["phrase"] for f in listed] == ["cat"]
    (v2,) = await api.call("GET", "/api/v2/filters", alice)
    assert v2["filter_action"] == "hide"
    updated = await api.call(
        "PUT",
        f"/api/v1/filters/{created['id']}",
        alice,
        data={"phrase": "dog", "irreversible": "false", "context[]": ["public"]},
        schema="V1Filter",
    )
    assert (updated["phrase"], updated["irreversible"], updated["context"]) == (
        "dog",
        False,
        ["public"],
    )
    await api.call("GET", f"/api/v1/filters/{created['id']}", alice, schema="V1Filter")
    await api.call("POST", "/api/v1/filters", alice, data={"phrase": ""}, status=422)
    assert await api.call("DELETE", f"/api/v1/filters/{created['id']}", alice) == {}
    assert await api.call("GET", "/api/v2/filters", alice) == []
