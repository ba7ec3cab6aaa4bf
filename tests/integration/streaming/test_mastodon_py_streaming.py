"""Mastodon.py's streaming client (event streams over requests) against a live server."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest
from mastodon import Mastodon, StreamListener

from parley.mastodon.streaming import channels as ch
from tests.integration.streaming.conftest import WAIT, Live

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]
pytestmark = pytest.mark.slow


class Collector(StreamListener):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_update(self, status: Any) -> None:
        self.events.put(("update", status))

    def on_notification(self, notification: Any) -> None:
        self.events.put(("notification", notification))


def _sign_up(base: str, username: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        f"{username}'s app", scopes=SCOPES, api_base_url=base
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    api.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, scopes=SCOPES)
    return api


def _wait_listening(live: Live, channel: str) -> None:
    deadline = time.monotonic() + WAIT
    while channel not in live.local_channels():
        assert time.monotonic() < deadline, f"nobody subscribed to {channel}"
        time.sleep(0.02)


def test_mastodon_py_stream_user_receives_updates_and_notifications(live: Live) -> None:
    alice, bob = _sign_up(live.url, "alice"), _sign_up(live.url, "bob")
    me = alice.account_verify_credentials()
    alice.account_follow(bob.account_verify_credentials().id)
    listener = Collector()
    handle = alice.stream_user(listener, run_async=True, reconnect_async=False)
    try:
        _wait_listening(live, ch.notifications(int(me.id)))
        post = bob.status_post("Hello, stream")
        kind, status = listener.events.get(timeout=WAIT)
        assert (kind, status.id) == ("update", post.id)
        assert status.account.username == "bob"
        bob.status_post("@alice are you there?")
        received = dict(listener.events.get(timeout=WAIT) for _ in range(2))
        assert received["notification"].type == "mention"
    finally:
        # Mastodon.py's close() returns only when the blocked read gets data (the next
        # heartbeat, 15 s away), so it runs on the side.
        threading.Thread(target=handle.close, daemon=True).start()
