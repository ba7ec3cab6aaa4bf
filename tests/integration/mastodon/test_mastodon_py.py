"""Real flows driven by the Mastodon.py client library against a live server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonUnauthorizedError

from tests.live import live_server

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture
def live_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A live server on loopback (no job worker)."""
    with live_server(database_url, tmp_path, run_worker=False) as url:
        yield url


def _sign_up(base: str, username: str) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        f"{username}'s app", scopes=SCOPES, api_base_url=base
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    api.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, scopes=SCOPES)
    return api


@pytest.mark.slow
def test_mastodon_py_signs_up_posts_follows_and_is_notified(live_url: str) -> None:
    alice = _sign_up(live_url, "alice")
    bob = _sign_up(live_url, "bob")
    me = alice.account_verify_credentials()
    assert me.username == "alice"
    assert alice.instance().title

    bob_account = bob.account_verify_credentials()
    relationship = alice.account_follow(bob_account.id)
    assert relationship.following
    post = bob.status_post("Hello from Mastodon.py #first", visibility="public")
    home = alice.timeline_home()
    assert [s.id for s in home] == [post.id]
    assert alice.timeline_public(local=True)[0].id == post.id

    alice.status_favourite(post.id)
    reblog = alice.status_reblog(post.id)
    assert reblog.reblog.id == post.id
    reply = alice.status_post("@bob hi", in_reply_to_id=post.id)
    assert bob.status_context(post.id).descendants[0].id == reply.id

    kinds = {n.type for n in bob.notifications()}
    assert kinds == {"follow", "favourite", "reblog", "mention"}
    assert [n.type for n in bob.notifications(types=["favourite"])] == ["favourite"]

    for n in range(3):
        bob.status_post(f"page {n}")
    first = bob.account_statuses(bob_account.id, limit=2)
    rest = bob.fetch_next(first)
    assert rest is not None
    assert len(first) + len(rest) == 4

    deleted = bob.status_delete(post.id)
    assert deleted.text == "Hello from Mastodon.py #first"


@pytest.mark.slow
def test_mastodon_py_logs_in_by_password_and_by_authorization_code(live_url: str) -> None:
    _sign_up(live_url, "carol")
    client_id, client_secret = Mastodon.create_app(
        "Login tester",
        scopes=SCOPES,
        redirect_uris=["urn:ietf:wg:oauth:2.0:oob", "https://app.example/cb"],
        api_base_url=live_url,
    )
    by_password = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=live_url)
    by_password.log_in("carol@example.org", PASSWORD, scopes=SCOPES, allow_http=True)
    assert by_password.account_verify_credentials().username == "carol"

    by_code = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=live_url)
    url = by_code.auth_request_url(
        redirect_uris="https://app.example/cb", scopes=SCOPES, state="st8", allow_http=True
    )
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    assert page.status_code == 200

    def form(html: str) -> dict[str, str]:
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))

    consent = browser.post(
        f"{live_url}/oauth/authorize",
        data={**form(page.text), "login": "carol", "password": PASSWORD},
        timeout=10,
    )
    assert consent.status_code == 200, consent.text
    approved = browser.post(
        f"{live_url}/oauth/authorize",
        data={**form(consent.text), "action": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert approved.status_code == 303
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    assert query["state"] == ["st8"]
    by_code.log_in(
        code=query["code"][0],
        redirect_uri="https://app.example/cb",
        scopes=SCOPES,
        allow_http=True,
    )
    assert by_code.account_verify_credentials().username == "carol"
    # Mastodon.py's revoke_access_token() insists on https; revoke as it would, over http.
    revoked = requests.post(
        f"{live_url}/oauth/revoke",
        data={
            "client_id": client_id,
            "client_secret": client_secret,
            "token": by_code.access_token,
        },
        timeout=10,
    )
    assert revoked.status_code == 200
    with pytest.raises(MastodonUnauthorizedError):
        by_code.account_verify_credentials()
