from __future__ import annotations

import pytest

from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.timelines.world import World


@pytest.fixture
def world(runtime: Runtime, members: Members) -> World:
    return World(runtime, members)
