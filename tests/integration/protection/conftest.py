"""Fixtures for the edge tests: settings overridden per test, clients at chosen addresses."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from parley.config import Settings
from parley.domain.oauth import service as oauth
from parley.runtime import Runtime
from tests.conftest import PASSWORD, TEST_DOMAIN

REMOTE = "203.0.113.7"  # not safelisted: what the world looks like to the limits
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Tests change settings with @pytest.mark.parametrize("overrides", [{...}])."""
    return {}


@pytest.fixture
def settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    # Refusals answer at once here (the tarpit has its own test).
    return settings.model_copy(update={"ratelimit_delay_ms": 0, **overrides})


ClientAt = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def client_at(app: Starlette) -> AsyncIterator[ClientAt]:
    """A client whose connections come from `ip` (the socket's address)."""
    made: list[httpx.AsyncClient] = []

    def make(ip: str = REMOTE, **kwargs: Any) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
            base_url=f"https://{TEST_DOMAIN}",
            **kwargs,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def csrf_of(client: httpx.AsyncClient, page: str) -> str:
    response = await client.get(page)
    match = CSRF_RE.search(response.text)
    assert match, f"no form on {page}: {response.status_code}"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD
) -> httpx.Response:
    token = await csrf_of(client, "/auth/sign_in")
    return await client.post(
        "/auth/sign_in", data={"login": login, "password": password, "csrf_token": token}
    )


async def member_token(runtime: Runtime, account_id: int | None) -> str:
    async with runtime.db.transaction() as session:
        app, _ = await oauth.register_application(
            session, name="Edge test", redirect_uris=[oauth.OOB], scopes="read write"
        )
        issued = await oauth.issue_token(
            session, application=app, account_id=account_id, scopes=["read", "write"]
        )
    return issued.secret
