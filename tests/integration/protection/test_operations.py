"""/health, /metrics and the logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from parley.config import Settings
from parley.db.base import utcnow
from parley.jobs.queue import enqueue
from parley.ops.logs import configure_logging
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.protection.conftest import REMOTE, ClientAt, csrf_of, member_token


async def test_health_says_ready_with_each_check(client_at: ClientAt) -> None:
    answer = await client_at().get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "queue"}
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert answer.headers["Cache-Control"] == "no-store"
    live = await client_at().get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}


async def test_a_stuck_queue_makes_the_instance_not_ready(
    client_at: ClientAt, runtime: Runtime
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(
            session, "send_mail", {"to": "x@example.org"}, run_at=utcnow() - timedelta(hours=1)
        )
    answer = await client_at().get("/health/ready")
    assert answer.status_code == 503
    queue = answer.json()["checks"]["queue"]
    assert queue["ok"] is False
    assert queue["due"] == 1
    assert queue["oldest_due_seconds"] >= 3500
    assert (await client_at().get("/health/live")).status_code == 200  # still alive


async def test_a_schema_behind_the_code_makes_the_instance_not_ready(
    client_at: ClientAt, runtime: Runtime
) -> None:
    async with runtime.db.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    answer = await client_at().get("/health")
    assert answer.status_code == 503
    migrations = answer.json()["checks"]["migrations"]
    assert migrations["ok"] is False
    assert migrations["current"] == "old"


async def test_metrics_count_routes_limits_and_state_for_loopback_only(
    client_at: ClientAt, members: Members
) -> None:
    await members.create("alice")
    visitor = client_at()
    await visitor.get("/@alice")
    await visitor.get("/@bob-does-not-exist")
    local = client_at("127.0.0.1")
    scrape = await local.get("/metrics")
    assert scrape.status_code == 200
    body = scrape.text
    assert 'parley_http_requests_total{method="GET",route="/@{acct}",status="200"} 1.0' in body
    assert 'route="/@{acct}",status="404"' in body
    assert "parley_http_request_duration_seconds_bucket" in body
    assert 'parley_job_queue_depth{state="due"} 0.0' in body
    assert "parley_under_attack 0.0" in body
    assert "/@alice" not in body  # templates, never the addresses themselves
    assert (await visitor.get("/metrics")).status_code == 403
    forwarded = await local.get("/metrics", headers={"X-Forwarded-For": REMOTE})
    assert forwarded.status_code == 403  # through the proxy: the world, not loopback


@pytest.mark.parametrize("overrides", [{"metrics_token": "scrape-me", "limit_per_ip": "1/minute"}])
async def test_metrics_answer_a_bearer_token_and_count_refusals(client_at: ClientAt) -> None:
    visitor = client_at()
    await visitor.get("/about")
    assert (await visitor.get("/about")).status_code == 429
    wrong = await visitor.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    garbage = await visitor.get("/metrics", headers={"Authorization": b"Bearer \xe9\xff"})
    assert garbage.status_code == 403
    scrape = await visitor.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert scrape.status_code == 200
    assert 'parley_rate_limited_total{door="web",limit="per_ip"} 1.0' in scrape.text


@pytest.fixture
def log_lines(settings: Settings) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(settings, stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_logs_are_json_lines_with_request_ids_and_no_secrets(
    log_lines: io.StringIO, client_at: ClientAt, runtime: Runtime, members: Members
) -> None:
    alice = await members.create("alice")
    token = await member_token(runtime, alice.account_id)
    client = client_at()
    await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    await client.get(f"/api/v1/streaming/health?access_token={token}")
    csrf = await csrf_of(client, "/auth/sign_in")
    signed = await client.post(
        "/auth/sign_in", data={"login": "alice", "password": PASSWORD, "csrf_token": csrf}
    )
    session = signed.cookies["parley_session"]
    await client.get("/home", headers={"X-Request-Id": "trace-abc-123"})
    logging.getLogger("parley.test").warning(
        "a careless message Authorization: Bearer %s password=%s", token, PASSWORD,
        extra={"cookie": session},
    )  # fmt: skip
    output = log_lines.getvalue()
    for secret in (token, PASSWORD, session, csrf):
        assert secret not in output
    entries = [json.loads(line) for line in output.splitlines()]
    access = [e for e in entries if e["logger"] == "parley.access"]
    assert {e["path"] for e in access} >= {"/api/v1/accounts/verify_credentials", "/home"}
    assert all(e["request_id"] for e in access)
    assert any(e["request_id"] == "trace-abc-123" and e["route"] == "/home" for e in access)
    assert all(e["client"] == REMOTE for e in access)
    careless = next(e for e in entries if e["logger"] == "parley.test")
    assert "[redacted]" in careless["message"]
    assert careless["cookie"] == "[redacted]"


async def test_every_answer_carries_a_request_id(app: Starlette, client_at: ClientAt) -> None:
    answer = await client_at().get("/about")
    assert len(answer.headers["X-Request-Id"]) == 32
    kept = await client_at().get("/about", headers={"X-Request-Id": "from-the-proxy-1"})
    assert kept.headers["X-Request-Id"] == "from-the-proxy-1"
    odd = await client_at().get("/about", headers={"X-Request-Id": "<script>"})
    assert odd.headers["X-Request-Id"] != "<script>"
