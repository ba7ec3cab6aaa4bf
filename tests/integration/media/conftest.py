"""Fixtures for the media tests: the Mastodon API caller, and a place for raw files."""

from __future__ import annotations

import httpx
import pytest

from parley.runtime import Runtime
from tests.conftest import Members
from tests.e2e import conftest as e2e
from tests.integration.activitypub import test_two_instances
from tests.integration.mastodon.conftest import Api


@pytest.fixture
def api(runtime: Runtime, members: Members, client: httpx.AsyncClient) -> Api:
    return Api(runtime, members, client)


# Two federating instances, as the ActivityPub tests build them.
pair = test_two_instances.pair

# The browser test's server and Chromium, as the e2e tests build them.
chromium = e2e.chromium
server = e2e.server
