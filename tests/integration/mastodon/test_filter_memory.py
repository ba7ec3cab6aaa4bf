"""Members' filters kept in memory per process (parley.mastodon.filtering.viewer_filters): a
warm timeline reads no filter rows, and every change applies on the very next page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.filters import service as filters
from parley.domain.filters.models import Filter, FilterKeyword
from parley.mastodon import filtering
from parley.runtime import Runtime
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.mastodon.test_token_memory import statements

HOME = "/api/v1/timelines/home"


async def _reader_and_post(api: Api) -> tuple[Caller, str]:
    reader = await api.member("reader")
    author = await api.member("author")
    await api.call("POST", f"/api/v1/accounts/{author.id}/follow", reader)
    post = await api.call("POST", "/api/v1/statuses", author, data={"status": "I love my cat"})
    return reader, str(post["id"])


async def _home(api: Api, reader: Caller) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.call("GET", HOME, reader, schema="Status[]")
    return found


async def _cat_filter(api: Api, reader: Caller, **data: Any) -> Any:
    body = {
        "title": "Cats",
        "context": ["home"],
        "filter_action": "hide",
        "keywords_attributes": [{"keyword": "cat", "whole_word": True}],
        **data,
    }
    return await api.call("POST", "/api/v2/filters", reader, json=body, schema="Filter")


async def test_a_warm_page_reads_no_filter_rows(api: Api, runtime: Runtime) -> None:
    reader, _post = await _reader_and_post(api)
    await _cat_filter(api, reader, filter_action="warn")
    first = await _home(api, reader)
    with statements(runtime) as seen:
        again = await _home(api, reader)
    assert again == first
    assert again[0]["filtered"][0]["keyword_matches"] == ["cat"]
    assert not [s for s in seen if "FROM filter" in s]


async def test_a_filter_made_through_the_api_applies_to_the_next_page(api: Api) -> None:
    reader, post = await _reader_and_post(api)
    assert [s["id"] for s in await _home(api, reader)] == [post]  # no filters, remembered
    created = await _cat_filter(api, reader)
    assert await _home(api, reader) == []
    await api.call("DELETE", f"/api/v2/filters/{created['id']}", reader)
    assert [s["id"] for s in await _home(api, reader)] == [post]


async def test_a_new_keyword_applies_to_the_next_page(api: Api) -> None:
    reader, post = await _reader_and_post(api)
    created = await _cat_filter(api, reader, keywords_attributes=[{"keyword": "dog"}])
    assert [s["id"] for s in await _home(api, reader)] == [post]
    await api.call(
        "POST", f"/api/v2/filters/{created['id']}/keywords", reader, data={"keyword": "love"}
    )
    assert await _home(api, reader) == []


async def test_a_filtered_post_applies_to_the_next_page(api: Api) -> None:
    reader, post = await _reader_and_post(api)
    created = await _cat_filter(api, reader, keywords_attributes=[{"keyword": "dog"}])
    assert [s["id"] for s in await _home(api, reader)] == [post]
    await api.call(
        "POST", f"/api/v2/filters/{created['id']}/statuses", reader, data={"status_id": post}
    )
    assert await _home(api, reader) == []


async def test_changes_from_other_doors_apply_to_the_next_page(api: Api, runtime: Runtime) -> None:
    reader, post = await _reader_and_post(api)
    assert [s["id"] for s in await _home(api, reader)] == [post]
    async with runtime.db.transaction() as session:  # as the web settings page does
        account = await session.get(Account, int(reader.id))
        assert account is not None
        await filters.create_filter(
            session,
            account=account,
            title="Cats",
            context=["home"],
            action="hide",
            keywords=[filters.KeywordChange(keyword="cat", whole_word=False)],
        )
    assert await _home(api, reader) == []
    async with runtime.db.transaction() as session:  # a bulk change of a keyword
        await session.execute(update(FilterKeyword).values(keyword="parrot"))
    assert [s["id"] for s in await _home(api, reader)] == [post]
    async with runtime.db.transaction() as session:
        await session.execute(update(FilterKeyword).values(keyword="cat"))
    assert await _home(api, reader) == []
    async with runtime.db.transaction() as session:
        await session.execute(delete(Filter))
    assert [s["id"] for s in await _home(api, reader)] == [post]


async def test_a_remembered_filter_stops_when_it_expires(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, post = await _reader_and_post(api)
    await _cat_filter(api, reader, expires_in=3600)
    assert await _home(api, reader) == []
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(filtering, "utcnow", lambda: later)
    assert [s["id"] for s in await _home(api, reader)] == [post]
