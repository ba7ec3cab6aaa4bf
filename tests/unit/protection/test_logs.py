"""Log redaction and the handler set-up."""

from __future__ import annotations

import io
import logging

import pytest

from parley.config import Settings
from parley.ops.logs import ParleyHandler, configure_logging, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.DEF-123", "abc.DEF-123"),
        ("GET /api/v1/streaming?access_token=tok123&stream=user", "tok123"),
        ("form password=hunter2 login=alice", "hunter2"),
        ('{"client_secret": "s3cr3t"}', "s3cr3t"),
        ("Cookie: parley_session=sess1; parley_csrf=c2", "sess1"),
        ("basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("GET /auth/reset/Rst0ken-_9 200", "Rst0ken-_9"),  # a password reset link
        ('{"path": "/invite/Inv1teCode"}', "Inv1teCode"),
    ],
)
def test_credentials_are_masked(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert "[redacted]" in masked


def test_plain_text_is_left_alone() -> None:
    assert redact("GET /@alice 200 in 12 ms") == "GET /@alice 200 in 12 ms"
    assert redact("GET /invite 200") == "GET /invite 200"


def test_configuring_again_replaces_only_parleys_handler() -> None:
    root = logging.getLogger()
    foreign = logging.StreamHandler(io.StringIO())
    root.addHandler(foreign)
    level = root.level
    try:
        first = configure_logging(Settings(log_format="text"), io.StringIO())
        second = configure_logging(Settings(log_format="text"), io.StringIO())
        assert first not in root.handlers
        assert second in root.handlers
        assert foreign in root.handlers
        assert sum(isinstance(h, ParleyHandler) for h in root.handlers) == 1
    finally:
        root.removeHandler(second)
        root.removeHandler(foreign)
        root.setLevel(level)
