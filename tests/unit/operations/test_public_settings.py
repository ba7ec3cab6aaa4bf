"""The configuration copied into a backup keeps no secret, whatever it is named."""

from __future__ import annotations

import orjson

from parley.config import Settings
from parley.operations.backup import public_settings

SECRET_WORDS = ("secret", "password", "token", "access_key", "database_url", "redis_url")


def test_no_setting_that_holds_a_secret_is_copied() -> None:
    settings = Settings(
        secret_key="k" * 40,
        smtp_password="smtp-pass-1",
        metrics_token="metrics-token-1",
        redis_url="redis://:redis-pass-1@localhost:6379/0",
    )
    copied = public_settings(settings)
    text = orjson.dumps(copied).decode()
    for secret in ("k" * 40, "smtp-pass-1", "metrics-token-1", "redis-pass-1"):
        assert secret not in text
    named = [
        name
        for name in copied
        if any(word in name for word in SECRET_WORDS)
        and not name.startswith(("limit_", "password_"))  # rate limits, hashing costs
    ]
    assert named == []
    assert copied["redis"] is True
    assert copied["domain"] == settings.domain
