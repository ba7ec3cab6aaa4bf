"""Reports from every door: the web form, POST /api/v1/reports, an incoming Flag, and the
outgoing Flag when a member forwards a report about a remote account."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import orjson
from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.instance.service import add_rule
from parley.domain.moderation.models import Report
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.jobs.worker import Worker
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Api, Browser
from tests.unit.activitypub.conftest import Remote


async def _post(runtime: Runtime, account_id: int, text: str) -> Post:
    async with runtime.db.transaction() as session:
        author = await session.get(Account, account_id)
        assert author is not None
        return await posts.create_post(session, runtime.ctx, author=author, text=text)


async def _reports(runtime: Runtime) -> list[Report]:
    async with runtime.db.reader() as session:
        return list((await session.scalars(select(Report))).all())


async def test_a_member_reports_a_post_from_its_menu_and_sees_the_report(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    bob = await members.create("bob")
    post = await _post(runtime, bob.account_id, "buy cheap pills")
    async with runtime.db.transaction() as session:
        rule = await add_rule(session, text="No spam")
    alice = browser_factory()
    await alice.sign_up("alice")
    page = await alice.get(f"/@bob/{post.id}")
    link = f"/report?account={bob.account_id}&amp;post={post.id}"
    assert link in page.text
    form = await alice.get(link.replace("&amp;", "&"))
    assert "No spam" in form.text
    assert "buy cheap pills" in form.text
    answer = await alice.post(
        "/report",
        {"account": str(bob.account_id), "post": str(post.id), "category": "violation",
         "rule_ids": str(rule.id), "comment": "spam bot"},
        page=link.replace("&amp;", "&"),
    )  # fmt: skip
    assert answer.status_code == 303
    (report,) = await _reports(runtime)
    assert (report.post_ids, report.rule_ids, report.comment) == ([post.id], [rule.id], "spam bot")
    mine = await alice.get("/reports")
    assert "@bob" in mine.text
    assert "Waiting for a moderator" in mine.text


async def test_the_web_form_answers_bad_input_with_the_form_again(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    bob = await members.create("bob")
    alice = browser_factory()
    await alice.sign_up("alice")
    answer = await alice.post(
        "/report", {"account": str(bob.account_id), "category": "violation"},
        page=f"/report?account={bob.account_id}",
    )  # fmt: skip
    assert answer.status_code == 422
    assert "rules" in answer.text
    missing = await alice.post("/report", {"account": "999", "category": "spam"})
    assert missing.status_code == 404
    assert await _reports(runtime) == []


async def test_the_api_files_a_report_and_answers_with_a_report_entity(
    api: Api, runtime: Runtime
) -> None:
    alice = await api.member("alice")
    bob = await api.member("bob")
    post = await _post(runtime, int(bob.id), "rude words")
    body = await api.call(
        "POST", "/api/v1/reports", alice, schema="Report",
        json={"account_id": bob.id, "status_ids": [str(post.id)], "comment": "rude",
              "category": "other"},
    )  # fmt: skip
    assert body["target_account"]["id"] == bob.id
    assert body["status_ids"] == [str(post.id)]
    assert body["action_taken"] is False
    await api.call("POST", "/api/v1/reports", alice, status=422, json={"account_id": alice.id})
    await api.call("POST", "/api/v1/reports", alice, status=404, json={"account_id": "12345"})
    reader = await api.member("reader", scopes="read")
    await api.call("POST", "/api/v1/reports", reader, status=403, json={"account_id": bob.id})
    assert len(await _reports(runtime)) == 1


async def test_an_incoming_flag_becomes_a_report(
    client: httpx.AsyncClient, remote: Remote, members: Members, runtime: Runtime, worker: Worker
) -> None:
    alice = await members.create("alice")
    post = await _post(runtime, alice.account_id, "flag me")
    mod = remote.actor("mod", host="mastodon.example")
    flag = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/flags/1",
        "type": "Flag",
        "actor": mod.uri,
        "content": "Harassing our members",
        "object": ["https://parley.test/users/alice", post.uri],
    }
    assert (await remote.deliver(client, flag, mod)).status_code == 202
    await worker.drain()
    (report,) = await _reports(runtime)
    assert report.account_id is None
    assert report.origin_domain == "mastodon.example"
    assert (report.target_account_id, report.post_ids) == (alice.account_id, [post.id])
    assert report.comment == "Harassing our members"


async def test_a_forwarded_report_is_sent_to_the_remote_server_as_a_flag(
    client: httpx.AsyncClient, remote: Remote, api: Api, runtime: Runtime, worker: Worker
) -> None:
    bob = remote.actor("bob", host="mastodon.example")
    async with runtime.db.transaction() as session:
        stored = Account(
            username="bob", username_lower="bob", domain="mastodon.example", uri=bob.uri,
            inbox_url=f"{bob.uri}/inbox", shared_inbox_url="https://mastodon.example/inbox",
        )  # fmt: skip
        session.add(stored)
    alice = await api.member("alice")
    await api.call(
        "POST", "/api/v1/reports", alice, schema="Report",
        json={"account_id": str(stored.id), "comment": "spam", "forward": True},
    )  # fmt: skip
    await worker.drain()
    (sent,) = remote.inbox_posts
    assert sent.headers["host"] == "mastodon.example"
    assert sent.url.path == "/inbox"
    activity = orjson.loads(sent.content)
    assert activity["type"] == "Flag"
    assert activity["actor"] == "https://parley.test/actor"  # the reporter stays anonymous
    assert activity["object"] == [bob.uri]
    assert "Signature" in sent.headers or "signature" in sent.headers
