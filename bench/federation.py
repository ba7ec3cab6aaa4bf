"""Federation throughput: inbound activities and outbound deliveries, against raw RSA rates.

    python -m bench.federation [--database-url URL] [--inbound 2000] [--posts 100] [--hosts 16]

Inbound: `--inbound` Create(Note) activities, each signed (draft-cavage rsa-sha256, as
Mastodon signs) by one of 16 remote actors whose keys are already stored (the steady state
after first contact), are POSTed through the real inbox (`POST /inbox` on the ASGI app, 8 at
a time): signature checked, raw activity stored, job queued, 202. Then the worker applies
them (sanitize, store the post, tags, counters, events). Reported: received/s, processed/s,
and end to end (both phases); reference: RSA-2048 PKCS#1 v1.5 SHA-256 verifications per
second on one core, in the same run.

Outbound: a local member with one remote follower on each of `--hosts` hosts (127.0.0.2...,
each a shared inbox served by a sink process answering 202) writes `--posts` posts through
the real service; the worker renders each Create, fans it out and delivers one signed POST per
host (shared-inbox de-duplication, per-host limits and all). Reported: deliveries/s end to
end, and for deliveries alone (pre-rendered ap.deliver jobs: sign + POST); reference: RSA-2048
signatures per second on one core, in the same run.

The issue's targets (1,000 inbound/s, 500 deliveries/s on this machine) are written as ratios
to the RSA rate of this run, so they can be checked on another machine.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import multiprocessing
import secrets
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import anyio
import httpx
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import func, select, update

from bench import report
from parley.activitypub.delivery import DELIVER_JOB
from parley.activitypub.signatures import sign_request
from parley.app import create_app
from parley.config import Settings
from parley.db.engine import make_engine
from parley.db.migrate import upgrade
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account
from parley.domain.federation import service as federation
from parley.domain.posts.models import Post
from parley.domain.posts.service import create_post
from parley.domain.relationships.models import Follow
from parley.infra.keys import make_keypair
from parley.jobs.models import Job, JobState
from parley.jobs.queue import enqueue
from parley.runtime import Runtime

DOMAIN = "parley.bench"
ACTORS = 16
CONCURRENT_POSTS = 8
TARGET_INBOUND = 1000
TARGET_DELIVERIES = 500
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


# -- reference: raw RSA on one core ---------------------------------------------------------


def _rate(run: Any, seconds: float = 1.0) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(20):
            run()
        count += 20
    return count / elapsed


def rsa_rates() -> dict[str, float]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    text = b"(request-target): post /inbox\nhost: parley.bench\ndate: x\ndigest: SHA-256=y"
    signature = key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    return {
        "sign_per_s": round(_rate(lambda: key.sign(text, padding.PKCS1v15(), hashes.SHA256()))),
        "verify_per_s": round(
            _rate(lambda: public.verify(signature, text, padding.PKCS1v15(), hashes.SHA256()))
        ),
    }


# -- the sink: a separate process that answers every POST with 202 --------------------------


def _sink_main(hosts: list[str], port: int) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(answer, host=hosts, port=port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- setup -------------------------------------------------------------------------------


def _keypair() -> tuple[str, str]:
    pair = make_keypair()
    return pair.private_pem, pair.public_pem


async def _remote(runtime: Runtime, name: str, host: str, scheme: str, public_pem: str) -> int:
    uri = f"{scheme}://{host}/users/{name}"
    async with runtime.db.transaction() as session:
        account = await federation.upsert_remote_account(
            session,
            federation.RemoteActor(
                uri=uri,
                username=name,
                domain=host,
                inbox_url=f"{uri}/inbox",
                shared_inbox_url=f"{scheme}://{host}/inbox",
                followers_url=f"{uri}/followers",
                public_key_id=f"{uri}#main-key",
                public_key_pem=public_pem,
            ),
        )
        return account.id


async def _member(runtime: Runtime, name: str) -> int:
    async with runtime.db.transaction() as session:
        user = await accounts.register(
            session,
            runtime.ctx,
            username=name,
            email=f"{name}@example.org",
            password=secrets.token_urlsafe(12),
            rules_accepted=True,
        )
        return user.account_id


async def _work(runtime: Runtime, concurrency: int) -> None:
    """Run the worker until no job is queued."""
    runtime.worker.concurrency = concurrency

    async def idle() -> None:
        while True:
            await anyio.sleep(0.1)
            async with runtime.db.reader() as session:
                queued = await session.scalar(
                    select(func.count()).select_from(Job).where(Job.state == JobState.QUEUED)
                )
            if not queued:
                return

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(functools.partial(runtime.worker.run_forever, idle_sleep=0.01))
        await idle()
        runtime.worker.stop()


async def _count(runtime: Runtime, *conditions: Any) -> int:
    async with runtime.db.reader() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Job).where(*conditions)) or 0
        )


# -- inbound -----------------------------------------------------------------------------


def _signed_creates(
    count: int, actors: list[tuple[str, str]]
) -> list[tuple[bytes, dict[str, str]]]:
    requests = []
    for n in range(count):
        host = f"remote{n % len(actors)}.example"
        actor = f"https://{host}/users/r{n % len(actors)}"
        note = {
            "id": f"https://{host}/notes/{n}",
            "type": "Note",
            "attributedTo": actor,
            "to": [PUBLIC],
            "cc": [f"{actor}/followers"],
            "content": f"<p>Bench note {n} about <a href='https://{host}/tags/bench'>#bench</a></p>",
            "published": "2026-11-23T12:00:00Z",
            "tag": [{"type": "Hashtag", "name": "#bench", "href": f"https://{host}/tags/bench"}],
        }
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"https://{host}/notes/{n}/activity",
            "type": "Create",
            "actor": actor,
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
        body = orjson.dumps(activity)
        headers = sign_request(
            method="POST",
            url=f"https://{DOMAIN}/inbox",
            key_id=f"{actor}#main-key",
            private_key_pem=actors[n % len(actors)][0],
            body=body,
        )
        headers["Content-Type"] = "application/activity+json"
        requests.append((body, headers))
    return requests


async def inbound(
    app: Any, runtime: Runtime, count: int, worker_concurrency: int
) -> dict[str, Any]:
    actors = [_keypair() for _ in range(ACTORS)]
    for n, (_, public) in enumerate(actors):
        await _remote(runtime, f"r{n}", f"remote{n}.example", "https", public)
    requests = _signed_creates(count, actors)
    statuses: dict[int, int] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as client:
        queue = list(reversed(requests))

        async def sender() -> None:
            while queue:
                body, headers = queue.pop()
                answer = await client.post("/inbox", content=body, headers=headers)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        started = time.perf_counter()
        async with anyio.create_task_group() as tasks:
            for _ in range(CONCURRENT_POSTS):
                tasks.start_soon(sender)
        received = time.perf_counter() - started
    if statuses != {202: count}:
        raise SystemExit(f"the inbox answered {statuses}")
    started = time.perf_counter()
    await _work(runtime, worker_concurrency)
    processed = time.perf_counter() - started
    async with runtime.db.reader() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Post).where(Post.uri.like("https://remote%"))
        )
    if stored != count:
        raise SystemExit(f"{stored} of {count} inbound notes were stored")
    return {
        "activities": count,
        "received_per_s": round(count / received),
        "processed_per_s": round(count / processed),
        "end_to_end_per_s": round(count / (received + processed)),
    }


# -- outbound ----------------------------------------------------------------------------


async def outbound(
    runtime: Runtime, posts: int, hosts: int, port: int, worker_concurrency: int
) -> dict[str, Any]:
    author_id = await _member(runtime, "author")
    _, public = _keypair()
    followers = [
        await _remote(runtime, f"f{n}", f"127.0.0.{n + 2}:{port}", "http", public)
        for n in range(hosts)
    ]
    async with runtime.db.transaction() as session:
        for follower in followers:
            session.add(Follow(account_id=follower, target_id=author_id))
        await session.execute(
            update(Account).where(Account.id == author_id).values(followers_count=hosts)
        )
    before = await _count(runtime, Job.kind == DELIVER_JOB, Job.state == JobState.DONE)
    async with runtime.db.transaction() as session:
        author = await session.get(Account, author_id)
        assert author is not None
        for n in range(posts):
            await create_post(session, runtime.ctx, author=author, text=f"Bench post {n} #bench")
    started = time.perf_counter()
    await _work(runtime, worker_concurrency)
    pipeline = time.perf_counter() - started
    delivered = await _count(runtime, Job.kind == DELIVER_JOB, Job.state == JobState.DONE) - before
    if delivered != posts * hosts:
        raise SystemExit(f"{delivered} deliveries made, not {posts * hosts}")

    # deliveries alone: pre-rendered activities, one job per (activity, inbox)
    activity = {"id": "x", "type": "Create", "actor": "a", "object": {"content": "y" * 500}}
    async with runtime.db.transaction() as session:
        for n in range(posts * hosts):
            await enqueue(
                session,
                DELIVER_JOB,
                {
                    "activity": {**activity, "id": f"{runtime.settings.base_url}/b/{n}"},
                    "inbox": f"http://127.0.0.{n % hosts + 2}:{port}/inbox",
                    "signer_id": author_id,
                },
            )
    started = time.perf_counter()
    await _work(runtime, worker_concurrency)
    alone = time.perf_counter() - started
    failed = await _count(runtime, Job.state == JobState.FAILED)
    if failed or await _count(runtime, Job.last_error.is_not(None)):
        raise SystemExit("some jobs failed; see the log")
    return {
        "posts": posts,
        "hosts": hosts,
        "deliveries": posts * hosts,
        "end_to_end_per_s": round(posts * hosts / pipeline),
        "deliver_jobs_per_s": round(posts * hosts / alone),
    }


# -- main --------------------------------------------------------------------------------


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite+aiosqlite:///{data_dir}/bench.db"
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    settings = Settings(
        domain=DOMAIN,
        scheme="https",
        database_url=url,
        data_dir=data_dir,
        media_dir=data_dir / "media",
        secret_key=secrets.token_urlsafe(32),
        embedded_worker=False,
        federation_allow_insecure=True,
        worker_concurrency=args.worker_concurrency,
        delivery_per_host=args.per_host,
    )
    app = create_app(settings, run_worker=False)
    runtime: Runtime = app.state.runtime
    hosts = [f"127.0.0.{n + 2}" for n in range(args.hosts)]
    port = _free_port()
    sink = multiprocessing.get_context("spawn").Process(
        target=_sink_main, args=(hosts, port), daemon=True
    )
    sink.start()
    try:
        reference = rsa_rates()
        inbound_result = await inbound(app, runtime, args.inbound, args.worker_concurrency)
        outbound_result = await outbound(
            runtime, args.posts, args.hosts, port, args.worker_concurrency
        )
    finally:
        sink.terminate()
        await runtime.db.dispose()
    verify, sign = reference["verify_per_s"], reference["sign_per_s"]
    return {
        "rsa_2048": reference,
        "inbound": {
            **inbound_result,
            "ratio_to_rsa_verify": round(inbound_result["end_to_end_per_s"] / verify, 3),
            "target_per_s": TARGET_INBOUND,
            "target_ratio": round(TARGET_INBOUND / verify, 3),
        },
        "outbound": {
            **outbound_result,
            "ratio_to_rsa_sign": round(outbound_result["end_to_end_per_s"] / sign, 3),
            "target_per_s": TARGET_DELIVERIES,
            "target_ratio": round(TARGET_DELIVERIES / sign, 3),
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.federation", description=__doc__)
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    parser.add_argument("--inbound", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--per-host", type=int, default=4)
    args = parser.parse_args(argv)
    with TemporaryDirectory(prefix="parley-bench-") as data_dir:
        result = asyncio.run(run(args, Path(data_dir)))
    kind = report.database_kind(args.database_url or "sqlite")
    inbound_result, outbound_result = result["inbound"], result["outbound"]
    print(
        f"RSA-2048: {result['rsa_2048']['verify_per_s']} verify/s, "
        f"{result['rsa_2048']['sign_per_s']} sign/s\n"
        f"inbound:  {inbound_result['received_per_s']} received/s, "
        f"{inbound_result['processed_per_s']} processed/s, "
        f"{inbound_result['end_to_end_per_s']} end to end/s "
        f"(ratio {inbound_result['ratio_to_rsa_verify']}, "
        f"target {inbound_result['target_ratio']})\n"
        f"outbound: {outbound_result['end_to_end_per_s']} deliveries/s end to end, "
        f"{outbound_result['deliver_jobs_per_s']} deliver jobs/s "
        f"(ratio {outbound_result['ratio_to_rsa_sign']}, target {outbound_result['target_ratio']})"
    )
    report.write(
        f"federation-{kind}-c{args.worker_concurrency}",
        {"scenario": "federation", "database": kind, "arguments": vars(args), **result},
    )


if __name__ == "__main__":
    main()
