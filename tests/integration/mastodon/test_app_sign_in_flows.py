"""What Elk, Phanpy, Tusky and Ivory call, replayed against Parley.

The apps cannot run here, so each test replays one app's calls as its public source makes them
(Elk: server/utils/shared.ts and server/api/[server]/oauth/[origin].ts; Phanpy: src/utils/auth.js
and src/utils/api.js; Tusky: LoginActivity.kt and network/MastodonApi.kt; Ivory is closed source,
so its test follows what Mastodon's documentation says an iOS app does: a custom-scheme redirect
with PKCE). Sign-in first (app registration, the consent page, the token exchange with the app's
exact parameters and body encoding, verify_credentials), then the calls the app makes on boot and
on its main screens, each checked for what the app needs: status, shape (the spec's schema),
Link headers for paging.

A feature Parley does not have must be answered as Mastodon answers when it lacks it (an empty
list where Mastodon returns one, else 404 "Record not found") and never be advertised.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from parley.domain.instance.service import update_instance_info
from parley.domain.moderation.models import DomainBlock
from parley.mastodon.placeholders import solid_png
from tests.conftest import Members
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller
from tests.integration.mastodon.test_oauth import _authorize, _pkce

DOMAIN = "parley.test"
SCOPES = "read write follow push"
ELK_REDIRECT = f"https://elk.zone/api/{DOMAIN}/oauth/{quote('https://elk.zone', safe='')}"
PHANPY_REDIRECT = "https://phanpy.social/"
TUSKY_REDIRECT = "oauth2redirect://com.keylesspalace.tusky/"
IVORY_REDIRECT = "ivory://oauth/callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"


@dataclass
class SignIn:
    """How one app registers and exchanges its code (from its source)."""

    client_name: str
    redirect_uri: str
    website: str
    as_json: bool  # Elk's ofetch sends JSON bodies; the others send forms
    pkce: bool
    token_scope: bool  # Elk and Phanpy repeat `scope` in the token request
    # More /oauth/authorize parameters (Mastodon's docs: state, force_login, lang).
    authorize: tuple[tuple[str, str], ...] = ()


ELK = SignIn("Elk", ELK_REDIRECT, "https://elk.zone", as_json=True, pkce=False, token_scope=True)
PHANPY = SignIn(
    "Phanpy", PHANPY_REDIRECT, "https://phanpy.social", as_json=False, pkce=True, token_scope=True
)
TUSKY = SignIn(
    "Tusky", TUSKY_REDIRECT, "https://tusky.app", as_json=False, pkce=False, token_scope=False
)
IVORY = SignIn(
    "Ivory",
    IVORY_REDIRECT,
    "https://tapbots.com/ivory",
    as_json=False,
    pkce=True,
    token_scope=False,
    authorize=(("state", "ivory-7f3a"), ("force_login", "true"), ("lang", "en")),
)


def _body(how: SignIn, fields: dict[str, str]) -> dict[str, Any]:
    return {"json": fields} if how.as_json else {"data": fields}


@dataclass
class SignedIn(Caller):
    """The member's token, and the app's client credentials (kept by the app for revoking)."""

    client_id: str = ""
    client_secret: str = ""


async def sign_in(client: httpx.AsyncClient, members: Members, how: SignIn) -> SignedIn:
    """Register, consent in the browser, exchange the code, verify: as the app does."""
    user = await members.create("alice")
    registered = await client.post(
        "/api/v1/apps",
        **_body(
            how,
            {
                "client_name": how.client_name,
                "redirect_uris": how.redirect_uri,
                "scopes": SCOPES,
                "website": how.website,
            },
        ),
    )
    assert registered.status_code == 200, registered.text
    app = registered.json()
    assert_conforms(app, "CredentialApplication")
    assert app["redirect_uri"] == how.redirect_uri
    assert app["name"] == how.client_name
    assert app["website"] == how.website
    assert app["scopes"] == SCOPES.split()
    # No Web Push on Parley: no VAPID key, so apps do not try to subscribe.
    assert not app.get("vapid_key")

    params = {
        "client_id": app["client_id"],
        "redirect_uri": how.redirect_uri,
        "response_type": "code",
        "scope": SCOPES,
    }
    params |= dict(how.authorize)
    verifier = None
    if how.pkce:
        verifier, challenge = _pkce()
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    approved = await _authorize(client, params)
    assert approved.status_code == 303, approved.text
    location = approved.headers["location"]
    # The app matches the redirect by prefix (Tusky: startsWith(oauthRedirectUri)).
    assert location.startswith(how.redirect_uri), location
    returned = parse_qs(urlsplit(location).query)
    code = returned["code"][0]
    if "state" in params:
        assert returned["state"] == [params["state"]]

    exchange = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": how.redirect_uri,
        "code": code,
    }
    if how.token_scope:
        exchange["scope"] = SCOPES
    if verifier is not None:
        exchange["code_verifier"] = verifier
    token = await client.post("/oauth/token", **_body(how, exchange))
    assert token.status_code == 200, token.text
    grant = token.json()
    assert_conforms(grant, "Token")
    assert grant["token_type"] == "Bearer"
    assert grant["scope"] == SCOPES
    caller = SignedIn(
        user,
        grant["access_token"],
        {"Authorization": f"Bearer {grant['access_token']}"},
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )

    me = await client.get("/api/v1/accounts/verify_credentials", headers=caller.headers)
    assert me.status_code == 200, me.text
    account = me.json()
    assert_conforms(account, "CredentialAccount")
    assert account["id"] == caller.id
    assert account["acct"] == "alice"
    assert "privacy" in account["source"]
    return caller


async def boot(api: Api, caller: Caller) -> dict[str, Any]:
    """The instance documents every app reads first, checked for what they rely on."""
    v2 = await api.call("GET", "/api/v2/instance", schema="Instance")
    assert v2["domain"] == DOMAIN
    assert v2["configuration"]["urls"]["streaming"] == f"wss://{DOMAIN}"
    assert v2["api_versions"]["mastodon"] >= 2  # grouped notifications (Phanpy, Ivory)
    # Never advertised: Web Push, translation, featured hashtags.
    assert "vapid" not in v2["configuration"]
    assert v2["configuration"]["translation"]["enabled"] is False
    assert v2["configuration"]["accounts"]["max_featured_tags"] == 0
    v1 = await api.call("GET", "/api/v1/instance", schema="V1Instance")
    assert v1["urls"]["streaming_api"] == f"wss://{DOMAIN}"
    assert v1["configuration"]["accounts"]["max_featured_tags"] == 0
    emojis = await api.call("GET", "/api/v1/custom_emojis", caller, schema="CustomEmoji[]")
    assert emojis == []
    prefs = await api.call("GET", "/api/v1/preferences", caller)
    assert prefs["posting:default:visibility"] in ("public", "unlisted", "private", "direct")
    health = await api.client.get("/api/v1/streaming/health")
    assert (health.status_code, health.text) == (200, "OK")
    return v2


async def _post(api: Api, caller: Caller, text: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = await api.call(
        "POST", "/api/v1/statuses", caller, json={"status": text, **extra}, schema="Status"
    )
    return body


async def _friend(api: Api, alice: Caller) -> Caller:
    """Bob, whom Alice follows and who follows her back."""
    bob = await api.member("bob")
    await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", alice, schema="Relationship")
    await api.call("POST", f"/api/v1/accounts/{alice.id}/follow", bob, schema="Relationship")
    return bob


def _links(response: httpx.Response) -> dict[str, str]:
    found = {}
    for part in response.headers.get("link", "").split(","):
        if ";" in part:
            url, rel = part.split(";", 1)
            found[rel.strip().removeprefix('rel="').rstrip('"')] = url.strip().strip("<>")
    return found


async def paged(api: Api, caller: Caller, path: str, schema: str, **params: Any) -> list[Any]:
    """A paged list: 200, conforming, a `prev` Link when not empty, `next` when the page is full.

    (Apps follow `next` until it is missing, so a short page must end the list.)
    """
    response = await api.client.get(path, headers=caller.headers, params=params)
    assert response.status_code == 200, (path, response.text)
    body: list[Any] = response.json()
    assert_conforms(body, schema)
    links = _links(response)
    if body:
        assert "min_id=" in links["prev"], (path, links)
        assert links["prev"].startswith(f"https://{DOMAIN}{path}?")
    if "limit" in params:
        assert ("next" in links) == (len(body) == int(params["limit"])), (path, links)
    if "next" in links:
        assert f"max_id={body[-1]['id']}" in links["next"] or "max_id=" in links["next"]
    return body


async def main_screens(api: Api, alice: Caller) -> dict[str, Any]:
    """What every app does once signed in: timelines, a thread, interactions, notifications."""
    bob = await _friend(api, alice)
    first = await _post(api, bob, "first #parley")
    for n in range(3):
        await _post(api, bob, f"post {n}")
    home = await paged(api, alice, "/api/v1/timelines/home", "Status[]", limit=2)
    assert len(home) == 2
    local = await paged(api, alice, "/api/v1/timelines/public", "Status[]", local="true")
    assert first["id"] in {s["id"] for s in local}
    await paged(api, alice, "/api/v1/timelines/public", "Status[]", remote="true")
    tagged = await paged(api, alice, "/api/v1/timelines/tag/parley", "Status[]")
    assert [s["id"] for s in tagged] == [first["id"]]

    reply = await _post(api, alice, "@bob hello", in_reply_to_id=first["id"])
    context = await api.call("GET", f"/api/v1/statuses/{first['id']}/context", alice)
    assert_conforms(context, "Context")
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    for verb, field in (("favourite", "favourited"), ("reblog", "reblogged")):
        done = await api.call(
            "POST", f"/api/v1/statuses/{first['id']}/{verb}", alice, schema="Status"
        )
        target = done["reblog"] if verb == "reblog" else done
        assert target[field] is True
    marked = await api.call(
        "POST", f"/api/v1/statuses/{first['id']}/bookmark", alice, schema="Status"
    )
    assert marked["bookmarked"] is True
    for path in ("/api/v1/favourites", "/api/v1/bookmarks"):
        listed = await paged(api, alice, path, "Status[]")
        assert [s["id"] for s in listed] == [first["id"]]

    notes = await paged(api, bob, "/api/v1/notifications", "Notification[]")
    assert {n["type"] for n in notes} >= {"follow", "favourite", "reblog", "mention"}
    return {"bob": bob, "first": first, "reply": reply}


async def _relationships(api: Api, alice: Caller, bob: Caller) -> None:
    rels = await api.call(
        "GET",
        "/api/v1/accounts/relationships",
        alice,
        params={"id[]": [bob.id, "999999", "\u00b2"]},
        schema="Relationship[]",
    )
    assert [r["id"] for r in rels] == [bob.id]
    assert rels[0]["following"] is True
    assert rels[0]["followed_by"] is True


async def _familiar_followers(api: Api, alice: Caller, bob: Caller) -> None:
    """The "followed by ... you know" line on profiles (Elk, Phanpy): Carol, whom Alice
    follows, follows Bob; Dave follows Bob but Alice does not follow him."""
    carol = await api.member("carol")
    dave = await api.member("dave")
    await api.call("POST", f"/api/v1/accounts/{carol.id}/follow", alice)
    for who in (carol, dave):
        await api.call("POST", f"/api/v1/accounts/{bob.id}/follow", who)
    known = await api.call(
        "GET",
        "/api/v1/accounts/familiar_followers",
        alice,
        params={"id[]": [bob.id, carol.id, "999999"]},
        schema="FamiliarFollowers[]",
    )
    assert [(k["id"], [a["id"] for a in k["accounts"]]) for k in known] == [
        (bob.id, [carol.id]),
        (carol.id, []),
        ("999999", []),
    ]
    body = await api.call("GET", "/api/v1/accounts/familiar_followers", status=401)
    assert body == {"error": "The access token is invalid"}


async def _missing_features(api: Api, alice: Caller, bob: Caller) -> None:
    """Features Parley lacks: Mastodon's own answer when it lacks them, nothing advertised."""
    # Lists Mastodon returns even when empty (trends disabled, no announcements, no suggestion,
    # no featured hashtags, no endorsements).
    for path in (
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        "/api/v1/announcements",
        "/api/v2/suggestions",
        f"/api/v1/accounts/{bob.id}/featured_tags",
        "/api/v1/featured_tags",
        "/api/v1/endorsements",
    ):
        response = await api.client.get(path, headers=alice.headers)
        assert (response.status_code, response.json()) == (200, []), path
    # Translation off: Mastodon answers {} for the languages.
    assert await api.call("GET", "/api/v1/instance/translation_languages", alice) == {}
    # No Web Push: no subscription to show, none can be made.
    for method in ("GET", "POST", "PUT", "DELETE"):
        body = await api.call(method, "/api/v1/push/subscription", alice, status=404)
        assert body == {"error": "Record not found"}
    # Unknown announcement: Mastodon's 404.
    await api.call("POST", "/api/v1/announcements/1/dismiss", alice, status=404)


async def test_elk_signs_in_and_uses_its_main_screens(
    api: Api, client: httpx.AsyncClient, members: Members
) -> None:
    # Elk registers and reads /api/v2/instance at the same time (for vapid.public_key).
    alice = await sign_in(client, members, ELK)
    instance = await boot(api, alice)
    assert instance["configuration"]["statuses"]["max_characters"] > 0
    # Sidebar: lists and followed hashtags.
    await api.call("POST", "/api/v1/lists", alice, json={"title": "Friends"}, schema="List")
    assert len(await api.call("GET", "/api/v1/lists", alice, schema="List[]")) == 1
    await api.call("POST", "/api/v1/tags/parley/follow", alice, schema="Tag")
    followed = await paged(api, alice, "/api/v1/followed_tags", "Tag[]")
    assert [t["name"] for t in followed] == ["parley"]
    seen = await main_screens(api, alice)
    bob, first = seen["bob"], seen["first"]
    # Profile page: lookup by acct, pinned then other posts, relationship, familiar followers.
    found = await api.call(
        "GET", "/api/v1/accounts/lookup", alice, params={"acct": "bob"}, schema="Account"
    )
    assert found["id"] == bob.id
    await paged(api, alice, f"/api/v1/accounts/{bob.id}/statuses", "Status[]", pinned="true")
    posts = await paged(
        api, alice, f"/api/v1/accounts/{bob.id}/statuses", "Status[]", exclude_replies="true"
    )
    assert first["id"] in {s["id"] for s in posts}
    await _relationships(api, alice, bob)
    await _familiar_followers(api, alice, bob)
    await _missing_features(api, alice, bob)
    # Compose: media through v2 (JSON status body with a poll), then edit with history.
    upload = await client.post(
        "/api/v2/media",
        headers=alice.headers,
        files={"file": ("dot.png", solid_png(8, 8, (1, 2, 3)), "image/png")},
        data={"description": "a dot"},
    )
    assert upload.status_code in (200, 202), upload.text
    media = upload.json()
    assert_conforms(media, "MediaAttachment")
    with_media = await _post(api, alice, "look", media_ids=[media["id"]])
    assert with_media["media_attachments"][0]["description"] == "a dot"
    polled = await _post(api, alice, "which?", poll={"options": ["a", "b"], "expires_in": 3600})
    assert [o["title"] for o in polled["poll"]["options"]] == ["a", "b"]
    voted = await api.call(
        "POST",
        f"/api/v1/polls/{polled['poll']['id']}/votes",
        bob,
        json={"choices": [1]},
        schema="Poll",
    )
    assert (voted["voted"], voted["own_votes"], voted["votes_count"]) == (True, [1], 1)
    body = await api.call(
        "POST",
        f"/api/v1/polls/{polled['poll']['id']}/votes",
        bob,
        json={"choices": [0]},
        status=422,
    )
    assert body["error"].startswith("Validation failed")
    source = await api.call(
        "GET", f"/api/v1/statuses/{with_media['id']}/source", alice, schema="StatusSource"
    )
    assert source["text"] == "look"
    await api.call(
        "PUT",
        f"/api/v1/statuses/{with_media['id']}",
        alice,
        json={"status": "look again", "media_ids": [media["id"]]},
        schema="Status",
    )
    history = await api.call(
        "GET", f"/api/v1/statuses/{with_media['id']}/history", alice, schema="StatusEdit[]"
    )
    assert len(history) == 2
    # Search (v2, resolve) and the conversations page.
    results = await api.call(
        "GET",
        "/api/v2/search",
        alice,
        params={"q": "bob", "resolve": "true", "type": "accounts", "limit": "10"},
        schema="Search",
    )
    assert [a["id"] for a in results["accounts"]] == [bob.id]
    await _post(api, bob, "@alice psst", visibility="direct")
    conversations = await paged(api, alice, "/api/v1/conversations", "Conversation[]")
    assert len(conversations) == 1


async def test_phanpy_signs_in_with_pkce_and_uses_its_main_screens(
    api: Api, client: httpx.AsyncClient, members: Members
) -> None:
    # Phanpy checks the discovery document for S256 before using PKCE.
    meta = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert "S256" in meta["code_challenge_methods_supported"]
    assert set(SCOPES.split()) <= set(meta["scopes_supported"])
    alice = await sign_in(client, members, PHANPY)
    await boot(api, alice)
    # Boot: followed tags, lists, filters v2, markers, announcements.
    await paged(api, alice, "/api/v1/followed_tags", "Tag[]", limit=100)
    await api.call("GET", "/api/v1/lists", alice, schema="List[]")
    await api.call("GET", "/api/v2/filters", alice, schema="Filter[]")
    markers = await api.call(
        "GET", "/api/v1/markers", alice, params={"timeline[]": ["home", "notifications"]}
    )
    assert markers == {}
    seen = await main_screens(api, alice)
    bob, first = seen["bob"], seen["first"]
    saved = await api.call(
        "POST",
        "/api/v1/markers",
        alice,
        json={"home": {"last_read_id": first["id"]}},
    )
    assert_conforms(saved["home"], "Marker")
    assert saved["home"]["last_read_id"] == first["id"]
    # Grouped notifications (api_versions.mastodon >= 2), as Phanpy asks for them.
    await api.call("POST", f"/api/v1/statuses/{seen['reply']['id']}/favourite", bob)
    grouped = await api.call(
        "GET",
        "/api/v2/notifications",
        alice,
        params={
            "grouped_types[]": ["favourite", "reblog", "follow"],
            "expand_accounts": "partial_avatars",
            "limit": "40",
        },
        schema="GroupedNotificationsResults",
    )
    assert {g["type"] for g in grouped["notification_groups"]} >= {"favourite", "follow"}
    # Phanpy's "load more" follows the Link header of the grouped list.
    first_page = await client.get(
        "/api/v2/notifications", headers=alice.headers, params={"limit": "1"}
    )
    more = _links(first_page)["next"]
    assert more.startswith(f"https://{DOMAIN}/api/v2/notifications?")
    second_page = (await client.get(more, headers=alice.headers)).json()
    assert_conforms(second_page, "GroupedNotificationsResults")
    assert second_page["notification_groups"]
    assert {g["group_key"] for g in second_page["notification_groups"]}.isdisjoint(
        {g["group_key"] for g in first_page.json()["notification_groups"]}
    )
    # Opening a group lists its accounts (Phanpy's "liked by ..." sheet).
    liked = next(g for g in grouped["notification_groups"] if g["type"] == "favourite")
    members_of_group = await api.call(
        "GET",
        f"/api/v2/notifications/{liked['group_key']}/accounts",
        alice,
        schema="Account[]",
    )
    assert [a["id"] for a in members_of_group] == liked["sample_account_ids"]
    body = await api.call(
        "GET", "/api/v2/notifications/ungrouped-999999/accounts", alice, status=404
    )
    assert body == {"error": "Record not found"}
    unread = await api.call("GET", "/api/v2/notifications/unread_count", alice)
    assert isinstance(unread["count"], int)
    # The notification policy banner and the filtered-notification requests.
    policy = await api.call("GET", "/api/v2/notifications/policy", alice)
    assert_conforms(policy, "NotificationPolicy")
    assert policy["summary"] == {"pending_requests_count": 0, "pending_notifications_count": 0}
    requests = await api.call(
        "GET", "/api/v1/notifications/requests", alice, schema="NotificationRequest[]"
    )
    assert requests == []
    await _relationships(api, alice, bob)
    await _familiar_followers(api, alice, bob)
    await _missing_features(api, alice, bob)
    # Status page: who favourited, who boosted.
    likers = await paged(api, alice, f"/api/v1/statuses/{first['id']}/favourited_by", "Account[]")
    assert [a["id"] for a in likers] == [alice.id]
    boosters = await paged(api, alice, f"/api/v1/statuses/{first['id']}/reblogged_by", "Account[]")
    assert [a["id"] for a in boosters] == [alice.id]


async def test_tusky_signs_in_with_its_custom_scheme_and_uses_its_main_screens(
    api: Api, client: httpx.AsyncClient, members: Members
) -> None:
    alice = await sign_in(client, members, TUSKY)
    await boot(api, alice)
    # MainActivity: lists, filters (v2, v1 as fallback), announcements, the notifications marker.
    await api.call("GET", "/api/v1/lists", alice, schema="List[]")
    await api.call("GET", "/api/v2/filters", alice, schema="Filter[]")
    await api.call("GET", "/api/v1/filters", alice, schema="V1_Filter[]")
    assert await api.call("GET", "/api/v1/announcements", alice) == []
    assert (
        await api.call("GET", "/api/v1/markers", alice, params={"timeline[]": "notifications"})
        == {}
    )
    seen = await main_screens(api, alice)
    bob = seen["bob"]
    # Notifications tab: exclude_types[] as Tusky sends them, and the unread marker.
    await api.call("POST", f"/api/v1/statuses/{seen['reply']['id']}/favourite", bob)
    only = await paged(
        api,
        alice,
        "/api/v1/notifications",
        "Notification[]",
        **{"exclude_types[]": ["follow", "mention", "reblog", "poll", "status", "update"]},
    )
    assert {n["type"] for n in only} == {"favourite"}
    # Tusky excludes every type it knows, newer ones included: unknown names are ignored, as
    # Mastodon ignores them, never a 422 that would empty the tab.
    newer = ["admin.sign_up", "admin.report", "severed_relationships", "moderation_warning"]
    same = await paged(
        api,
        alice,
        "/api/v1/notifications",
        "Notification[]",
        **{"exclude_types[]": ["follow", "mention", "reblog", "poll", "status", "update", *newer]},
    )
    assert [n["id"] for n in same] == [n["id"] for n in only]
    mentions = await paged(
        api, alice, "/api/v1/notifications", "Notification[]", **{"types[]": ["mention", "quote"]}
    )
    assert {n["type"] for n in mentions} <= {"mention"}
    # Tusky's "load more" gap filling pages with since_id, the timeline with max_id.
    home = await api.client.get(
        "/api/v1/timelines/home", headers=alice.headers, params={"limit": 2}
    )
    older = await api.client.get(_links(home)["next"], headers=alice.headers)
    assert older.status_code == 200
    assert {s["id"] for s in older.json()}.isdisjoint({s["id"] for s in home.json()})
    # Pull to refresh: the `prev` link brings only what is newer than the top of the list.
    fresh = await _post(api, bob, "fresh")
    newer = await api.client.get(_links(home)["prev"], headers=alice.headers)
    assert [s["id"] for s in newer.json()] == [fresh["id"]]
    # Profile: statuses with Tusky's filters, follow with reblogs/notify.
    await paged(
        api,
        alice,
        f"/api/v1/accounts/{bob.id}/statuses",
        "Status[]",
        exclude_replies="false",
        only_media="true",
    )
    rel = await api.call(
        "POST",
        f"/api/v1/accounts/{bob.id}/follow",
        alice,
        data={"reblogs": "false", "notify": "true"},
        schema="Relationship",
    )
    assert (rel["showing_reblogs"], rel["notifying"]) == (False, True)
    # A hashtag tab showing several tags (Tusky sends the extra ones as any[]), narrowed with
    # all[] and none[] as Mastodon's hashtag columns do; unknown names are ignored.
    cats = await _post(api, bob, "#cats")
    both = await _post(api, bob, "#cats #dogs")
    dogs = await _post(api, bob, "#dogs #parrots")

    async def tagged(**params: Any) -> list[str]:
        got = await paged(api, alice, "/api/v1/timelines/tag/cats", "Status[]", **params)
        return [s["id"] for s in got]

    assert await tagged() == [both["id"], cats["id"]]
    assert await tagged(**{"any[]": ["dogs", "nosuchtag"]}) == [dogs["id"], both["id"], cats["id"]]
    assert await tagged(**{"all[]": ["dogs", "nosuchtag"]}) == [both["id"]]
    assert await tagged(**{"any[]": ["dogs"], "none[]": ["parrots"]}) == [both["id"], cats["id"]]
    # Tusky pages search results with `offset`, accounts included.
    for n in range(3):
        await api.member(f"bobby{n}")
    pages = []
    for offset in (0, 2, 4):
        found = await api.call(
            "GET",
            "/api/v2/search",
            alice,
            params={"q": "bob", "type": "accounts", "limit": "2", "offset": str(offset)},
            schema="Search",
        )
        pages.append([a["acct"] for a in found["accounts"]])
    assert [len(p) for p in pages] == [2, 2, 0]
    assert sorted(pages[0] + pages[1]) == ["bob", "bobby0", "bobby1", "bobby2"]
    # Scheduled posts and their list.
    scheduled = await api.call(
        "POST",
        "/api/v1/statuses",
        alice,
        headers={"Idempotency-Key": "tusky-1"},
        json={"status": "later", "scheduled_at": "2099-01-01T00:00:00.000Z"},
        schema="ScheduledStatus",
    )
    listed = await paged(api, alice, "/api/v1/scheduled_statuses", "ScheduledStatus[]")
    assert [s["id"] for s in listed] == [scheduled["id"]]
    await api.call("DELETE", f"/api/v1/scheduled_statuses/{scheduled['id']}", alice)
    await _missing_features(api, alice, bob)
    # Tusky signs out by revoking its token: the token stops working.
    await _revoke_and_check(client, alice)


async def _revoke_and_check(client: httpx.AsyncClient, caller: SignedIn) -> None:
    apps = await client.get("/api/v1/apps/verify_credentials", headers=caller.headers)
    assert apps.status_code == 200
    assert apps.json()["name"] == "Tusky"
    # As Tusky's revokeOAuthToken: the app's credentials and the token, as a form.
    revoked = await client.post(
        "/oauth/revoke",
        data={
            "client_id": caller.client_id,
            "client_secret": caller.client_secret,
            "token": caller.token,
        },
    )
    assert (revoked.status_code, revoked.json()) == (200, {})
    after = await client.get("/api/v1/accounts/verify_credentials", headers=caller.headers)
    assert after.status_code == 401
    assert after.json() == {"error": "The access token is invalid"}


async def test_ivory_signs_in_with_pkce_and_uses_its_main_screens(
    api: Api, client: httpx.AsyncClient, members: Members
) -> None:
    alice = await sign_in(client, members, IVORY)
    await boot(api, alice)
    await api.call("GET", "/api/v2/filters", alice, schema="Filter[]")
    seen = await main_screens(api, alice)
    bob, first = seen["bob"], seen["first"]
    # Ivory syncs the home position through markers.
    await api.call(
        "POST",
        "/api/v1/markers",
        alice,
        data={"home[last_read_id]": first["id"], "notifications[last_read_id]": "0"},
    )
    markers = await api.call(
        "GET", "/api/v1/markers", alice, params={"timeline[]": ["home", "notifications"]}
    )
    assert markers["home"]["last_read_id"] == first["id"]
    assert_conforms(markers["home"], "Marker")
    grouped = await api.call(
        "GET", "/api/v2/notifications", bob, schema="GroupedNotificationsResults"
    )
    assert grouped["notification_groups"]
    await api.call("GET", "/api/v1/notifications/policy", alice)
    await _relationships(api, alice, bob)
    await _missing_features(api, alice, bob)


@pytest.mark.parametrize("how", [ELK, PHANPY, TUSKY, IVORY], ids=lambda h: h.client_name)
async def test_each_apps_redirect_is_refused_when_it_was_not_registered(
    client: httpx.AsyncClient, members: Members, how: SignIn
) -> None:
    """A code is only ever sent to a registered redirect: the app's own, byte for byte."""
    await members.create("alice")
    registered = await client.post(
        "/api/v1/apps",
        **_body(how, {"client_name": how.client_name, "redirect_uris": OOB, "scopes": SCOPES}),
    )
    app = registered.json()
    page = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": how.redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
        },
    )
    assert page.status_code == 400
    assert 'name="csrf_token"' not in page.text


async def test_oob_sign_in_with_every_scope_apps_ask_for(
    client: httpx.AsyncClient, members: Members
) -> None:
    """An app without a redirect (out-of-band) gets the code on a page, all four scopes kept."""
    await members.create("alice")
    app = (
        await client.post(
            "/api/v1/apps", data={"client_name": "Paste", "redirect_uris": OOB, "scopes": SCOPES}
        )
    ).json()
    assert app["redirect_uri"] == OOB
    params = {
        "client_id": app["client_id"],
        "redirect_uri": OOB,
        "response_type": "code",
        "scope": SCOPES,
    }
    shown = await _authorize(client, params)
    assert shown.status_code == 200
    code = re.search(r'id="code" class="code" value="([^"]+)"', shown.text)
    assert code is not None, shown.text
    token = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": OOB,
            "code": code.group(1),
        },
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == SCOPES


async def test_bad_requests_from_app_screens_get_mastodon_errors(
    api: Api, client: httpx.AsyncClient, members: Members
) -> None:
    alice = await sign_in(client, members, TUSKY)
    for method, path, kwargs in (
        ("GET", "/api/v1/statuses/123/context", {}),
        ("POST", "/api/v1/statuses/123/favourite", {}),
        ("GET", "/api/v1/accounts/123/statuses", {}),
        ("GET", "/api/v1/timelines/list/123", {}),
        ("GET", "/api/v1/accounts/%C2%B2", {}),  # '²': a digit to str.isdigit(), not to int()
    ):
        body = await api.call(method, path, alice, status=404, **kwargs)
        assert body == {"error": "Record not found"}
    body = await api.call(
        "GET", "/api/v1/timelines/home", alice, params={"limit": "lots"}, status=422
    )
    assert body["error"]
    body = await api.call(
        "PATCH",
        "/api/v2/notifications/policy",
        alice,
        json={"for_not_following": "drop"},
        status=422,
    )
    assert body["error"]
    # The notification policy cannot be set to filter (Parley does not filter), nor to
    # nonsense; accepting everything is what it already does.
    for path, change in (
        ("/api/v2/notifications/policy", {"for_new_accounts": "sometimes"}),
        ("/api/v2/notifications/policy", {"for_private_mentions": "filter"}),
        ("/api/v1/notifications/policy", {"filter_not_followers": True}),
    ):
        body = await api.call("PATCH", path, alice, json=change, status=422)
        assert body["error"].startswith("Validation failed: ")
    same = await api.call(
        "PATCH", "/api/v2/notifications/policy", alice, json={"for_not_following": "accept"}
    )
    assert_conforms(same, "NotificationPolicy")
    assert await api.call("GET", "/api/v1/notifications/policy", alice) == {
        "filter_not_following": False,
        "filter_not_followers": False,
        "filter_new_accounts": False,
        "filter_private_mentions": False,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    # Members' lists need a token, as in Mastodon; trends do not; unknown accounts are 404.
    for path in ("/api/v1/announcements", "/api/v2/suggestions", "/api/v1/notifications/requests"):
        body = await api.call("GET", path, status=401)
        assert body == {"error": "The access token is invalid"}
    assert await api.call("GET", "/api/v1/trends/statuses", schema="Status[]") == []
    # Scopes as Mastodon checks them: a granular read:accounts token may list suggestions, a
    # write-only one may not.
    granular = await api.member("granular", scopes="read:accounts")
    assert await api.call("GET", "/api/v2/suggestions", granular, schema="Suggestion[]") == []
    writer = await api.member("writer", scopes="write")
    body = await api.call("GET", "/api/v2/suggestions", writer, status=403)
    assert body == {"error": "This action is outside the authorized scopes"}
    body = await api.call("GET", "/api/v1/accounts/999999/featured_tags", alice, status=404)
    assert body == {"error": "Record not found"}
    # A token read-only for Elk's scope check: writing is outside its scopes.
    reader = await api.member("reader", scopes="read")
    body = await api.call("POST", "/api/v1/statuses", reader, json={"status": "hi"}, status=403)
    assert body == {"error": "This action is outside the authorized scopes"}


async def test_server_about_screens_read_the_public_domain_blocks(api: Api) -> None:
    """The server's About screen (Ivory, Phanpy, Elk) lists the blocked domains that the web's
    moderation page shows; with the list hidden it is Mastodon's 404."""
    async with api.runtime.db.transaction() as session:
        session.add_all(
            [
                DomainBlock(domain="spam.example", severity="suspend", public_comment="spam"),
                DomainBlock(domain="loud.example", severity="limit", obfuscate=True),
                DomainBlock(domain="fine.example", severity="noop", reject_media=True),
            ]
        )
    alice = await api.member("alice")
    blocked = await api.call("GET", "/api/v1/instance/domain_blocks", alice, schema="DomainBlock[]")
    assert [(b["domain"], b["severity"], b["comment"]) for b in blocked] == [
        ("lo********le", "silence", None),
        ("spam.example", "suspend", "spam"),
    ]
    assert blocked[0]["digest"] == hashlib.sha256(b"loud.example").hexdigest()
    async with api.runtime.db.transaction() as session:
        await update_instance_info(session, show_domain_blocks=False)
    body = await api.call("GET", "/api/v1/instance/domain_blocks", alice, status=404)
    assert body == {"error": "Record not found"}


async def test_several_accounts_at_once_as_mastodon_4_3_apps_fetch_them(api: Api) -> None:
    alice, bob = await api.member("alice"), await api.member("bob")
    found = await api.call(
        "GET",
        "/api/v1/accounts",
        alice,
        params={"id[]": [bob.id, alice.id, "999999"]},
        schema="Account[]",
    )
    assert [a["id"] for a in found] == [bob.id, alice.id]
    # Visitors may ask too; ids that are not numbers (nor IDs at all) are ignored, not a 500.
    found = await api.call(
        "GET",
        "/api/v1/accounts",
        params={"id[]": ["x", "\u00b2", "9" * 20, bob.id, bob.id]},
        schema="Account[]",
    )
    assert [a["id"] for a in found] == [bob.id]
    assert await api.call("GET", "/api/v1/accounts", schema="Account[]") == []


async def test_tusky_saves_the_default_visibility_and_language(api: Api) -> None:
    alice = await api.member("alice", scopes="read write")
    me = await api.call(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        alice,
        data={"source[privacy]": "unlisted", "source[sensitive]": "true", "source[language]": "en"},
        schema="CredentialAccount",
    )
    assert (me["source"]["privacy"], me["source"]["language"]) == ("unlisted", "en")
    prefs = await api.call("GET", "/api/v1/preferences", alice)
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:language"] == "en"
    body = await api.call(
        "PATCH",
        "/api/v1/accounts/update_credentials",
        alice,
        data={"source[privacy]": "everyone", "display_name": "Changed"},
        status=422,
    )
    assert body["error"].startswith("Validation failed")
    bad_language = {"source[language]": "not a language", "display_name": "Changed"}
    await api.call(
        "PATCH", "/api/v1/accounts/update_credentials", alice, data=bad_language, status=422
    )
    # Refused whole: nothing changed.
    me = await api.call("GET", "/api/v1/accounts/verify_credentials", alice)
    assert me["display_name"] != "Changed"
    assert (me["source"]["privacy"], me["source"]["language"]) == ("unlisted", "en")


async def test_signed_out_browsing_searches_accounts_and_hashtags_only(api: Api) -> None:
    """Phanpy and Elk browse a server signed out: search finds accounts and hashtags, never
    posts (Mastodon searches posts only for members)."""
    bob = await api.member("bob")
    await _post(api, bob, "#walrus walrus facts")
    found = await api.call("GET", "/api/v2/search", params={"q": "walrus"}, schema="Search")
    assert found["statuses"] == []
    assert [t["name"] for t in found["hashtags"]] == ["walrus"]
    assert found["hashtags"][0].get("following") is None  # not a member: no answer
    people = await api.call(
        "GET", "/api/v2/search", params={"q": "bob", "type": "accounts"}, schema="Search"
    )
    assert [a["id"] for a in people["accounts"]] == [bob.id]
    # A bad token is still refused, not treated as a visitor.
    body = await api.call(
        "GET",
        "/api/v2/search",
        params={"q": "bob"},
        headers={"Authorization": "Bearer nope"},
        status=401,
    )
    assert body == {"error": "The access token is invalid"}
