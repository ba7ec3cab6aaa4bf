"""Fixtures for the media tests: the Mastodon API caller, and a place for raw files."""

from __future__ import annotations

import httpx
import pytest

from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conftest import Api


@pytest.fixture
def api(runtime: Runtime, members: Members, client: httpx.AsyncClient) -> Api:
    return Api(runtime, members, client)
