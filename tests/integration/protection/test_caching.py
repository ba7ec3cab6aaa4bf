"""HTTP caching: anonymous pages are briefly public with a weak ETag; signed-in answers are
private; HTML and ActivityPub answers of one URL are kept apart."""

from __future__ import annotations

from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.protection.conftest import ClientAt, member_token, sign_in


async def test_anonymous_pages_are_public_for_a_short_while_with_a_weak_etag(
    client_at: ClientAt, members: Members
) -> None:
    await members.create("alice")
    client = client_at()
    for path in ("/local", "/@alice", "/about"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert page.headers["Cache-Control"] == "public, max-age=10", path
        assert page.headers["ETag"].startswith('W/"'), path
        vary = page.headers["Vary"].lower()
        assert "accept" in vary, path
        assert "cookie" in vary, path
        assert "set-cookie" not in page.headers, path  # nothing per-browser in a shared copy
        assert 'name="csrf_token"' not in page.text, path
        again = await client.get(path, headers={"If-None-Match": page.headers["ETag"]})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["ETag"] == page.headers["ETag"]
    other = await client.get("/about", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200


async def test_pages_with_a_form_are_private_because_they_hold_the_csrf_token(
    client_at: ClientAt,
) -> None:
    page = await client_at().get("/auth/sign_in")
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in page.headers


async def test_signed_in_answers_are_never_publicly_cacheable(
    client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    browser = client_at("198.51.100.60")
    assert (await sign_in(browser, "alice")).status_code == 303
    for path in ("/local", "/@alice", "/home", "/about"):
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert page.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in page.headers, path
    token = await member_token(runtime, alice.account_id)
    api = client_at(headers={"Authorization": f"Bearer {token}"})
    for path in ("/api/v1/timelines/public", "/api/v1/accounts/verify_credentials"):
        answer = await api.get(path)
        assert answer.headers["Cache-Control"] == "private, no-store", path
    # Even a stale or made-up session cookie makes the answer private.
    stranger = client_at()
    stranger.cookies.set("parley_session", "expired-or-made-up")
    assert (await stranger.get("/local")).headers["Cache-Control"] == "private, no-store"


async def test_html_and_activitypub_answers_of_one_address_vary_by_accept(
    client_at: ClientAt, members: Members
) -> None:
    await members.create("alice")
    client = client_at()
    html = await client.get("/@alice")
    as2 = await client.get("/@alice", headers={"Accept": "application/activity+json"})
    assert "text/html" in html.headers["content-type"]
    assert "activity+json" in as2.headers["content-type"]
    for answer in (html, as2):
        assert "accept" in answer.headers["Vary"].lower()
    assert html.headers["ETag"] != as2.headers["ETag"]


async def test_errors_and_redirects_are_not_made_public(client_at: ClientAt) -> None:
    missing = await client_at().get("/@nobody-here")
    assert missing.status_code == 404
    assert "public" not in missing.headers.get("Cache-Control", "")
    home = await client_at().get("/home")  # asks an anonymous visitor to sign in
    assert home.status_code == 303
    assert "public" not in home.headers.get("Cache-Control", "")


async def test_signed_fetches_are_private_since_the_answer_depends_on_the_signer(
    client_at: ClientAt, members: Members
) -> None:
    # A signed fetch may be answered with a followers-only post: a shared cache must not keep
    # it for the next (unsigned) request of the same URL.
    await members.create("alice")
    server = client_at(headers={"Accept": "application/activity+json"})
    for headers in (
        {"Signature": 'keyId="https://remote.example/actor#main-key",signature="x"'},
        {"Signature-Input": 'sig1=("@method");keyid="x"', "Signature": "sig1=:eA==:"},
    ):
        answer = await server.get("/users/alice", headers=headers)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "private, no-store", headers
        assert "ETag" not in answer.headers
        assert "signature" in answer.headers["Vary"].lower()
    unsigned = await server.get("/users/alice")
    assert unsigned.headers["Cache-Control"] == "public, max-age=10"
