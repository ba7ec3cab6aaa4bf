"""Interop tests: other projects' clients against a live Parley server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.config import Settings
from tests.integration.streaming.conftest import (
    Live,
    free_port,
    live_settings,
    start_live,
    stop_live,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return live_settings(settings, free_port())


@pytest.fixture
def live(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    server = start_live(settings, monkeypatch)
    yield server
    stop_live(server)
