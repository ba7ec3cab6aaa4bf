"""Garbage through the newer doors (invitations, IP blocks, member and admin domain blocks,
the automated-flag lexicon and rules, CSV and archive imports): a clear 4xx, never a 500."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from urllib.parse import quote

import httpx

from tests.conftest import Members
from tests.integration.moderation.conftest import Api, Browser, Staff
from tests.integration.moderation.test_autoflag_doors import browser_of

ADMIN_SCOPES = "read write admin:read admin:write"
WEIRD = ["", " ", "\u00e9", "a" * 5000, "\x00", "%00", "../../etc/passwd", "1.2.3.4/33",
         "999.1.1.1", "::/-1", "1.2.3.4/abc", "*.example.com", "http://x.example/", "ex ample.com",
         "-1", "1e999", "[]", "{}", "\u202e", "xn--", "a..b", ".", "\ud7ff"]  # fmt: skip


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ARCHIVES = [
    b"",
    b"not a zip at all",
    b"PK\x03\x04" + b"\x00" * 100,
    _zip({"outbox.json": b"{not json"}),
    _zip({"outbox.json": b'"a string"'}),
    _zip({"outbox.json": b'{"orderedItems": "x"}'}),
    _zip({"outbox.json": b'{"orderedItems": [1, null, "x", {"type": "Create", "object": 5}]}'}),
    _zip({"outbox.json": b'{"orderedItems": [{"type": "Create", "object": {"type": "Note",'
          b' "content": 5, "published": "yesterday", "attachment": "x"}}]}'}),
    _zip({"outbox.json": b'{"orderedItems": [{"type": "Create", "object": {"type": "Note",'
          b' "content": "hi", "published": "2020-01-01T00:00:00Z", "inReplyTo": {"a": 1},'
          b' "attachment": [{"url": "../../../etc/passwd"}, 3]}}]}'}),
    _zip({"actor.json": b"[]", "outbox.json": b'{"orderedItems": []}'}),
    _zip({"../evil.json": b"{}", "outbox.json": b'{"orderedItems": []}'}),
    b'{"orderedItems": [{"type": "Create"}]}',
    b"[]",
    b"\xff\xfe\x00\x00",
]  # fmt: skip

CSVS = [
    b"",
    b"\xff\xfe\x00a\x00,\x00b",
    b"\x00\x00\x00",
    b'"unterminated,\n',
    b"Account address,Show boosts\n" + b"@" * 5000 + b",true\n",
    b"Account address\n\xe9\xe9\xe9@example.org\n",
    b"a,b,c,d,e,f,g,h\n" * 3,
    b"\xef\xbb\xbfAccount address,Show boosts\nbob@,maybe\n",
]


async def test_garbage_never_makes_a_500(
    api: Api, staff: Staff, members: Members, browser_factory: Callable[[], Browser],
    client: httpx.AsyncClient,
) -> None:  # fmt: skip
    admin = await staff.caller("boss", "admin", ADMIN_SCOPES)
    alice = await api.member("alice")
    admin_web = await browser_of(browser_factory, "boss")
    alice_web = await browser_of(browser_factory, "alice")
    errors: list[str] = []

    def note(door: str, value: object, response: httpx.Response) -> None:
        if response.status_code >= 500:
            errors.append(f"{door} {value!r:.60}: {response.status_code}")

    for value in WEIRD:
        note("invite page", value, await client.get(f"/invite/{quote(value, safe='')}"))
        for method in ("POST", "DELETE"):
            answer = await api.client.request(
                method, "/api/v1/domain_blocks", headers=alice.headers, json={"domain": value}
            )
            note(f"{method} domain_blocks", value, answer)
        for body in (
            {"ip": value, "severity": "no_access"},
            {"ip": "192.0.2.0/24", "severity": value},
            {"ip": "192.0.2.1", "severity": "sign_up_block", "expires_in": value},
        ):
            answer = await api.client.post(
                "/api/v1/admin/ip_blocks", headers=admin.headers, json=body
            )
            note("admin ip_blocks", body, answer)
        answer = await api.client.post(
            "/api/v1/admin/domain_blocks", headers=admin.headers, json={"domain": value}
        )
        note("admin domain_blocks", value, answer)
        answer = await api.client.post(
            "/api/v1/accounts",
            headers=alice.headers,
            json={"username": "zed", "email": "z@example.org", "password": "long password 1",
                  "agreement": True, "locale": "en", "invite_code": value},
        )  # fmt: skip
        note("api sign-up invite_code", value, answer)
        for path, data in (
            ("/moderation/ip_blocks", {"ip": value, "severity": "no_access"}),
            ("/moderation/ip_blocks", {"ip": "192.0.2.9", "severity": "no_access",
                                       "expires_in": value}),
            ("/moderation/domain_blocks", {"domain": value, "severity": "suspend"}),
            ("/moderation/email_domain_blocks", {"domain": value}),
            ("/moderation/autoflags/lexicon", {"pattern": value, "weight": "1"}),
            ("/moderation/autoflags/lexicon", {"pattern": "x(", "weight": "1", "is_regex": "on"}),
            ("/moderation/autoflags/lexicon", {"pattern": "cat", "weight": value}),
            ("/moderation/autoflags/rules/threat", {"action": value, "threshold": value}),
            ("/moderation/autoflags/rules/spam", {"action": "hold", "max_links": value}),
            (f"/moderation/autoflags/rules/{quote(value, safe='') or 'x'}", {"action": "hold"}),
            ("/moderation/domain_blocks/import", {"csv": value}),
        ):  # fmt: skip
            note(f"web {path}", data, await admin_web.post(path, data, page="/moderation"))
        for path, data in (
            ("/settings/invites", {"max_uses": value, "expires_in": value}),
            ("/settings/migration/aliases", {"acct": value, "alias": value}),
            ("/settings/migration/move", {"acct": value, "target": value, "password": value}),
            ("/settings/domain_blocks", {"domain": value}),
            ("/settings/preferences", {"media_display": value}),
        ):
            note(f"web {path}", data, await alice_web.post(path, data, page="/settings/profile"))

    token = await alice_web.csrf("/settings/import")
    for archive in ARCHIVES:
        answer = await alice_web.client.post(
            "/settings/import/archive",
            data={"csrf_token": token},
            files={"archive": ("a.zip", archive)},
        )
        note("archive import", archive[:40], answer)
    for csv in CSVS:
        for kind in ("following", "blocks", "mutes", "lists", "bookmarks", "nonsense", ""):
            answer = await alice_web.client.post(
                "/settings/import",
                data={"csrf_token": token, "type": kind, "mode": "overwrite"},
                files={"file": ("x.csv", csv)},
            )
            note(f"csv import {kind}", csv[:40], answer)
    assert errors == []


async def test_ids_beyond_64_bits_are_simply_not_found(
    api: Api, members: Members, client: httpx.AsyncClient
) -> None:
    await members.create("alice")
    huge, tiny = "9" * 25, "-" + "9" * 25
    for path, status in (
        (f"/@alice/{huge}", 404),
        (f"/api/v1/statuses/{huge}", 404),
        (f"/api/v1/accounts/{huge}", 404),
        (f"/api/v1/timelines/public?max_id={huge}", 422),
        (f"/api/v1/timelines/public?since_id={tiny}", 422),
        (f"/local?max_id={huge}", 422),
    ):
        answer = await client.get(path)
        assert answer.status_code == status, path
    note = await client.get(
        f"/users/alice/statuses/{huge}", headers={"Accept": "application/activity+json"}
    )
    assert note.status_code == 404
