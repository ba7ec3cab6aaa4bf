"""Web UI test helpers: browsers that sign up and sign in through the real forms."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import PASSWORD, TEST_DOMAIN

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRF-Token": "([^"]+)"')


class Browser:
    """One browser (its own cookie jar) talking to the app, as a person would with forms."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def csrf(self, path: str = "/about") -> str:
        page = await self.client.get(path)
        match = CSRF_RE.search(page.text)
        if match is None:
            # Anonymous pages without a form carry no token (so they can be cached publicly);
            # the sign-in form always has one, and sets this browser's cookie.
            match = CSRF_RE.search((await self.client.get("/auth/sign_in")).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> httpx.Response:
        """Submit a form, with the CSRF token read from `page` (or the form's own page)."""
        fields = dict(data or {})
        if csrf and "csrf_token" not in fields:
            fields["csrf_token"] = await self.csrf(page or "/about")
        return await self.client.post(path, data=fields, headers=headers)

    async def sign_up(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post(
            "/auth/sign_up",
            {
                "username": username,
                "email": f"{username.lower()}@example.org",
                "password": password,
                "password_confirmation": password,
                "agreement": "1",
            },
            page="/auth/sign_up",
        )
        assert response.status_code == 303, response.text
        return response

    async def sign_in(self, login: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post(
            "/auth/sign_in", {"login": login, "password": password}, page="/auth/sign_in"
        )


@pytest.fixture
async def browser_factory(app: Starlette) -> AsyncIterator[Callable[[], Browser]]:
    clients: list[httpx.AsyncClient] = []

    def make() -> Browser:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"https://{TEST_DOMAIN}"
        )
        clients.append(client)
        return Browser(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def browser(client: httpx.AsyncClient) -> Browser:
    return Browser(client)
