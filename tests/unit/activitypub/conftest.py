"""Fake remote servers for federation tests: actors with real keys, served by a MockTransport.

`remote.actor("alice", host="mastodon.example")` makes a Mastodon-shaped actor whose key
signs requests; `remote.signed_post(client, path, activity, actor)` delivers to our inbox as
that actor would. Outbound requests from the app (key and object fetches) land in
`remote.handler`, which serves the registered documents.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from parley.activitypub.federation import Federation
from parley.activitypub.jobs import build_federation_handlers
from parley.activitypub.signatures import sign_request
from parley.activitypub.vocab import CONTENT_TYPE
from parley.infra.keys import make_keypair
from parley.jobs.worker import Worker
from parley.runtime import Runtime

FIXTURES = Path(__file__).parents[2] / "fixtures" / "activitypub"
PUBLIC_IP = "93.184.215.14"


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@dataclass
class RemoteActor:
    uri: str
    key_id: str
    private_pem: str
    public_pem: str
    document: dict[str, Any]


def _keys() -> tuple[str, str]:
    pair = make_keypair()
    return pair.private_pem, pair.public_pem


_KEY_CACHE: list[tuple[str, str]] = []


def shared_keys(index: int) -> tuple[str, str]:
    """RSA keys are slow to make: the session shares a few."""
    while len(_KEY_CACHE) <= index:
        _KEY_CACHE.append(_keys())
    return _KEY_CACHE[index]


@dataclass
class Remote:
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    inbox_posts: list[httpx.Request] = field(default_factory=list)
    actors: dict[str, RemoteActor] = field(default_factory=dict)
    inbox_status: int = 202

    def actor(
        self,
        username: str,
        *,
        host: str = "mastodon.example",
        key_index: int = 0,
        uri: str | None = None,
        **extra: Any,
    ) -> RemoteActor:
        private, public = shared_keys(key_index)
        uri = uri or f"https://{host}/users/{username}"
        doc = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": username,
            "name": username.title(),
            "summary": "<p>Remote person</p>",
            "url": f"https://{host}/@{username}",
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "followers": f"{uri}/followers",
            "following": f"{uri}/following",
            "endpoints": {"sharedInbox": f"https://{host}/inbox"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public},
            **extra,
        }
        actor = RemoteActor(uri, f"{uri}#main-key", private, public, doc)
        self.documents[uri] = doc
        self.actors[uri] = actor
        return actor

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = f"https://{request.headers['host']}{request.url.raw_path.decode()}"
        if request.method == "POST":
            self.inbox_posts.append(request)
            return httpx.Response(self.inbox_status)
        doc = self.documents.get(url.split("?")[0])
        if doc is None:
            return httpx.Response(404)
        return httpx.Response(
            200, content=orjson.dumps(doc), headers={"content-type": CONTENT_TYPE}
        )

    def signed_headers(
        self, path: str, body: bytes, actor: RemoteActor, *, host: str = "parley.test"
    ) -> dict[str, str]:
        headers = sign_request(
            method="POST",
            url=f"https://{host}{path}",
            key_id=actor.key_id,
            private_key_pem=actor.private_pem,
            body=body,
        )
        headers["Content-Type"] = "application/activity+json"
        return headers

    async def deliver(
        self,
        client: httpx.AsyncClient,
        activity: dict[str, Any],
        actor: RemoteActor,
        path: str = "/inbox",
    ) -> httpx.Response:
        body = orjson.dumps(activity)
        return await client.post(path, content=body, headers=self.signed_headers(path, body, actor))


async def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC_IP]


@pytest.fixture
def remote(app: Starlette) -> Remote:
    servers = Remote()
    fed: Federation = app.state.federation
    fed.transport = httpx.MockTransport(servers.handler)
    fed.resolver = public_resolver
    return servers


@pytest.fixture
async def fed(app: Starlette) -> AsyncIterator[Federation]:
    result: Federation = app.state.federation
    yield result
    await result.aclose()  # kept delivery leases and pooled connections, as at shutdown


@pytest.fixture
def worker(runtime: Runtime, fed: Federation) -> Worker:
    """A worker running the federation handlers (the app's own may not register them yet)."""
    return Worker(runtime.db, build_federation_handlers(runtime, fed))
