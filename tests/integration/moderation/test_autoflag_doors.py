"""Automated flags through every door: a threat posted from the web or a Mastodon app is held,
invisible to others through the web UI, the API, timelines and federation until a moderator
approves it in the held queue; a remote post from the inbox is scored too; rejection tells the
author why; the profanity rule with the "report" action fills the moderation queue."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx
from sqlalchemy import select

from parley.domain.moderation.autoflag.labels import labels_for
from parley.domain.moderation.autoflag.lexicon import DEFAULTS
from parley.domain.moderation.autoflag.models import LexiconEntry
from parley.domain.moderation.models import AuditLogEntry, Report, Strike
from parley.domain.posts.models import Post
from parley.jobs.models import Job
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Api, Browser, Caller, Staff
from tests.unit.activitypub.conftest import Remote, load_fixture
from tests.unit.posts.factories import count

AS2 = {"Accept": "application/activity+json"}


async def signed_in(make: Callable[[], Browser], members: Members, name: str, role: str) -> Browser:
    await members.create(name, role=role)
    return await browser_of(make, name)


async def browser_of(make: Callable[[], Browser], name: str) -> Browser:
    browser = make()
    answer = await browser.sign_in(name)
    assert answer.status_code == 303, answer.text
    return browser


async def follow(api: Api, follower: Caller, target: Caller) -> None:
    await api.call("POST", f"/api/v1/accounts/{target.id}/follow", follower)


async def alice_followed_by_bob(
    api: Api, make: Callable[[], Browser]
) -> tuple[Caller, Caller, Browser]:
    """alice, and bob following her with a signed-in browser: who a held post must hide from."""
    alice = await api.member("alice")
    bob = await api.member("bob")
    bob_web = await browser_of(make, "bob")
    await follow(api, bob, alice)
    return alice, bob, bob_web


async def post_events(runtime: Runtime, post_id: int) -> list[str]:
    async with runtime.db.reader() as session:
        jobs = await session.scalars(select(Job).where(Job.kind.like("event.post.%")))
        return [j.kind for j in jobs if j.payload.get("post_id") == post_id]


async def doors_showing(
    marker: str,
    post_id: int,
    *,
    api: Api,
    viewer: Caller,
    viewer_web: Browser,
    anonymous: httpx.AsyncClient,
) -> list[str]:
    """Every door, for a follower of the author and for anyone: which show the post. A page
    shows it if it has the marker word, or (the tag pages, which name the tag anyway) its id."""
    shown = []
    pages = {
        "web post page": f"/@alice/{post_id}",
        "web profile": "/@alice",
        "web home": "/home",
        "web local": "/local",
        "web notifications": "/notifications",
        "web tag": f"/tags/{marker}",
    }
    for door, path in pages.items():
        found = str(post_id) if door == "web tag" else marker
        if found in (await viewer_web.get(path)).text:
            shown.append(door)
    for door, path in {
        "api status": f"/api/v1/statuses/{post_id}",
        "api home": "/api/v1/timelines/home",
        "api local": "/api/v1/timelines/public?local=true",
        "api account statuses": f"/api/v1/accounts/{await _alice_id(api)}/statuses",
        "api notifications": "/api/v1/notifications",
        "api tag": f"/api/v1/timelines/tag/{marker}",
    }.items():
        response = await api.client.get(path, headers=viewer.headers)
        if marker in response.text:
            shown.append(door)
    anonymous_doors: dict[str, tuple[str, dict[str, str]]] = {
        "anonymous post page": (f"/@alice/{post_id}", {}),
        "ap note": (f"/users/alice/statuses/{post_id}", AS2),
        "ap outbox": ("/users/alice/outbox?page=true", AS2),
    }
    for door, (path, headers) in anonymous_doors.items():
        if marker in (await anonymous.get(path, headers=headers)).text:
            shown.append(door)
    return shown


async def _alice_id(api: Api) -> str:
    account = await api.client.get("/api/v1/accounts/lookup?acct=alice")
    return str(account.json()["id"])


ALL_DOORS = [
    "web post page", "web profile", "web home", "web local", "web notifications", "web tag",
    "api status", "api home", "api local", "api account statuses", "api notifications", "api tag",
    "anonymous post page", "ap note", "ap outbox",
]  # fmt: skip


async def check_held_then_approved(
    post_id: int,
    marker: str,
    *,
    api: Api,
    runtime: Runtime,
    bob: Caller,
    bob_web: Browser,
    mod_web: Browser,
    client: httpx.AsyncClient,
) -> None:
    async def shown() -> list[str]:
        return await doors_showing(
            marker, post_id, api=api, viewer=bob, viewer_web=bob_web, anonymous=client
        )

    assert await shown() == []
    assert await post_events(runtime, post_id) == []  # no fan-out event, no federation
    queue = await mod_web.get("/moderation/held")
    assert marker in queue.text
    assert "auto:threat" in queue.text
    approved = await mod_web.post(
        f"/moderation/held/{post_id}/approve", {"note": ""}, page="/moderation/held"
    )
    assert approved.status_code == 303
    assert await shown() == ALL_DOORS
    home = await api.call("GET", "/api/v1/timelines/home", bob)
    assert str(post_id) in [s["id"] for s in home]
    assert await post_events(runtime, post_id) == ["event.post.created"]


async def test_a_threat_posted_from_the_web_is_held_until_a_moderator_approves_it(
    api: Api, runtime: Runtime, members: Members, client: httpx.AsyncClient,
    browser_factory: Callable[[], Browser],
) -> None:  # fmt: skip
    _, bob, bob_web = await alice_followed_by_bob(api, browser_factory)
    alice_web = await browser_of(browser_factory, "alice")
    mod_web = await signed_in(browser_factory, members, "mod", "moderator")

    marker = f"zebra{secrets.token_hex(4)}"
    answer = await alice_web.post(
        "/posts", {"text": f"@bob I will kill you #{marker}", "visibility": "public",
                   "next": "/home"}, page="/home",
    )  # fmt: skip
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/@alice/")  # the author is shown the held notice
    post_id = int(location.rsplit("/", 1)[1])
    own = await alice_web.get(location)
    assert own.status_code == 200
    assert marker in own.text
    assert "Held for review" in own.text
    await check_held_then_approved(
        post_id, marker, api=api, runtime=runtime, bob=bob, bob_web=bob_web,
        mod_web=mod_web, client=client,
    )  # fmt: skip
    assert "Held for review" not in (await alice_web.get(location)).text


async def test_a_threat_posted_from_a_mastodon_app_is_visible_to_its_author_only_until_approved(
    api: Api, runtime: Runtime, members: Members, client: httpx.AsyncClient,
    browser_factory: Callable[[], Browser],
) -> None:  # fmt: skip
    alice, bob, bob_web = await alice_followed_by_bob(api, browser_factory)
    mod_web = await signed_in(browser_factory, members, "mod", "moderator")
    marker = f"zebra{secrets.token_hex(4)}"
    status = await api.call(
        "POST", "/api/v1/statuses", alice, schema="Status",
        json={"status": f"@bob someone should shoot the mayor #{marker}"},
    )  # fmt: skip
    post_id = int(status["id"])
    mine = await api.call("GET", f"/api/v1/statuses/{post_id}", alice, schema="Status")
    assert marker in mine["content"]
    await api.call("GET", f"/api/v1/statuses/{post_id}", bob, status=404)
    await check_held_then_approved(
        post_id, marker, api=api, runtime=runtime, bob=bob, bob_web=bob_web,
        mod_web=mod_web, client=client,
    )  # fmt: skip


async def test_a_rejected_post_is_removed_and_its_author_reads_the_reason(
    api: Api, runtime: Runtime, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    alice_web = await signed_in(browser_factory, members, "alice", "member")
    mod_web = await signed_in(browser_factory, members, "mod", "moderator")
    answer = await alice_web.post(
        "/posts", {"text": "I will kill you all", "next": "/home"}, page="/home"
    )
    post_id = int(answer.headers["location"].rsplit("/", 1)[1])
    no_reason = await mod_web.post(
        f"/moderation/held/{post_id}/reject", {"reason": "  "}, page="/moderation/held"
    )
    assert no_reason.status_code == 422
    assert "Give a reason" in no_reason.text
    async with runtime.db.reader() as session:
        assert await session.get(Post, post_id) is not None
    rejected = await mod_web.post(
        f"/moderation/held/{post_id}/reject", {"reason": "Threat of violence (rule 1)"},
        page="/moderation/held",
    )  # fmt: skip
    assert rejected.status_code == 303
    async with runtime.db.reader() as session:
        assert await session.get(Post, post_id) is None
        strike = await session.scalar(select(Strike))
        labels = [x.label for x in (await labels_for(session, [post_id]))[post_id]]
    assert strike is not None
    assert labels[0] == "auto:threat"
    assert labels[-2:] == ["mod:delete_post", "rejected"]
    strikes = await alice_web.get("/settings/strikes")
    assert "Threat of violence (rule 1)" in strikes.text
    again = await mod_web.post(
        f"/moderation/held/{post_id}/approve", {"note": ""}, page="/moderation/held"
    )
    assert again.status_code == 404


async def test_members_cannot_see_the_held_queue_or_decide(
    runtime: Runtime, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    alice_web = await signed_in(browser_factory, members, "alice", "member")
    answer = await alice_web.post(
        "/posts", {"text": "I will kill you", "next": "/home"}, page="/home"
    )
    post_id = int(answer.headers["location"].rsplit("/", 1)[1])
    carol = await signed_in(browser_factory, members, "carol", "member")
    assert (await carol.get("/moderation/held")).status_code == 403
    refused = await carol.post(f"/moderation/held/{post_id}/approve", {}, page="/home")
    assert refused.status_code == 403
    async with runtime.db.reader() as session:
        post = await session.get(Post, post_id)
    assert post is not None
    assert post.held


async def test_a_profane_post_with_the_report_action_lands_in_the_web_queue_with_its_label(
    api: Api, staff: Staff, members: Members, runtime: Runtime,
    browser_factory: Callable[[], Browser],
) -> None:  # fmt: skip
    admin_web = await signed_in(browser_factory, members, "admin", "admin")
    saved = await admin_web.post(
        "/moderation/autoflags/rules/profanity", {"action": "report", "threshold": "0.8"},
        page="/moderation/autoflags",
    )  # fmt: skip
    assert saved.status_code == 303
    alice = await api.member("alice")
    status = await api.call(
        "POST", "/api/v1/statuses", alice, json={"status": "fuck off, you worthless shit"}
    )
    bob = await api.member("bob")
    await api.call("GET", f"/api/v1/statuses/{status['id']}", bob)  # published
    async with runtime.db.reader() as session:
        report = await session.scalar(select(Report))
    assert report is not None
    assert report.post_ids == [int(status["id"])]
    queue = await admin_web.get("/moderation")
    assert "the automated flags" in queue.text
    assert "auto:profanity" in queue.text
    page = await admin_web.get(f"/moderation/reports/{report.id}")
    assert "auto:profanity" in page.text
    assert "Automated flag: profanity" in page.text


async def test_a_remote_threat_from_the_inbox_is_scored_and_held(
    client: httpx.AsyncClient, remote: Remote, worker: Worker, members: Members,
    runtime: Runtime, api: Api,
) -> None:  # fmt: skip
    alice = await api.member("alice")
    viewer = await api.member("viewer")
    activity = load_fixture("mastodon_create_note.json")
    marker = f"zebra{secrets.token_hex(4)}"
    activity["object"]["content"] = f"<p>@alice I will kill you {marker}</p>"
    activity["object"]["contentMap"] = {}
    bob = remote.actor("bob", host="mastodon.example")
    assert (await remote.deliver(client, activity, bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.uri == activity["object"]["id"]))
        assert post is not None
        labels = [x.label for x in (await labels_for(session, [post.id]))[post.id]]
    assert post.held
    assert "auto:threat" in labels
    await api.call("GET", f"/api/v1/statuses/{post.id}", viewer, status=404)
    public = await api.call("GET", "/api/v1/timelines/public", viewer)
    assert all(marker not in s["content"] for s in public)
    assert await api.call("GET", "/api/v1/notifications", alice) == []  # mentioned, not told

    # A remote edit is scored too: a clean note edited into a threat is held.
    clean = load_fixture("mastodon_create_note.json")
    clean["id"] = clean["id"].replace("113475629103945612", "2")
    clean["object"]["id"] = clean["object"]["id"].replace("113475629103945612", "2")
    clean["object"]["content"] = "<p>good morning</p>"
    assert (await remote.deliver(client, clean, bob)).status_code == 202
    await worker.drain()
    update = {
        "id": clean["object"]["id"] + "#updates/1",
        "type": "Update",
        "actor": bob.uri,
        "object": {**clean["object"], "content": "<p>I will kill you</p>",
                   "updated": "2024-11-12T10:00:00Z"},
    }  # fmt: skip
    assert (await remote.deliver(client, update, bob)).status_code == 202
    await worker.drain()
    async with runtime.db.reader() as session:
        edited = await session.scalar(select(Post).where(Post.uri == clean["object"]["id"]))
    assert edited is not None
    assert edited.text.strip() == "I will kill you"
    assert edited.held


async def test_admins_edit_rules_and_lexicon_in_the_web_and_bad_input_changes_nothing(
    runtime: Runtime, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    admin = await signed_in(browser_factory, members, "admin", "admin")
    page = await admin.get("/moderation/autoflags")
    assert page.status_code == 200
    assert "&lt;target&gt;" in page.text  # the shipped lexicon, ready to edit
    for fields, message in [
        ({"pattern": "", "weight": "1"}, "Write a phrase"),
        ({"pattern": "kill " * 70, "weight": "1"}, "at most 300"),
        ({"pattern": "{kill|shoot <target>", "weight": "1"}, "no matching"),
        ({"pattern": "(a+)+", "weight": "1", "is_regex": "1"}, "Nested repetition"),
        ({"pattern": "[oops", "weight": "1", "is_regex": "1"}, "Not a valid regular expression"),
        ({"pattern": "kill you", "weight": "lots"}, "Must be a number"),
        ({"pattern": "kill you", "weight": "0"}, "above 0"),
    ]:
        answer = await admin.post(
            "/moderation/autoflags/lexicon", fields, page="/moderation/autoflags"
        )
        assert answer.status_code == 422, fields
        assert message in answer.text, (fields, answer.text[:300])
    assert await count(runtime, LexiconEntry) == len(DEFAULTS)
    assert await count(runtime, AuditLogEntry) == 0
    bad_rule = await admin.post(
        "/moderation/autoflags/rules/threat", {"action": "delete", "threshold": "1"},
        page="/moderation/autoflags",
    )  # fmt: skip
    assert bad_rule.status_code == 422
    bad_spam = await admin.post(
        "/moderation/autoflags/rules/spam",
        {"action": "hold", "threshold": "1", "new_account_days": "-3"},
        page="/moderation/autoflags",
    )
    assert bad_spam.status_code == 422
    assert "New account days" in bad_spam.text or "new account days" in bad_spam.text
    missing = await admin.post(
        "/moderation/autoflags/lexicon/999999/delete", {}, page="/moderation/autoflags"
    )
    assert missing.status_code == 404

    added = await admin.post(
        "/moderation/autoflags/lexicon",
        {"pattern": "{feed|throw} <target> to the {sharks|wolves}", "weight": "1"},
        page="/moderation/autoflags",
    )
    assert added.status_code == 303
    assert "throw} &lt;target&gt; to the" in (await admin.get("/moderation/autoflags")).text
    moderator = await signed_in(browser_factory, members, "mod", "moderator")
    assert (await moderator.get("/moderation/autoflags")).status_code == 403
