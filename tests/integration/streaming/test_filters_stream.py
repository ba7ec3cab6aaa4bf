"""Changing a filter tells the member's user stream (`filters_changed`), as Mastodon does."""

from __future__ import annotations

import pytest

from tests.integration.mastodon.conftest import Api
from tests.integration.streaming.conftest import Live, sse

pytestmark = pytest.mark.slow


async def test_a_filter_change_sends_filters_changed_to_the_user_stream(
    live: Live, api: Api
) -> None:
    alice = await api.member("alice")
    async with sse(live, "user", alice.token) as stream:
        await api.call(
            "POST", "/api/v2/filters", alice, json={"title": "Cats", "context": ["home"]}
        )
        assert await stream.next() == ("filters_changed", "undefined")
