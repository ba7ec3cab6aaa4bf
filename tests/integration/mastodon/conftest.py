"""Fixtures for the Mastodon API tests: apps and tokens made through the real OAuth service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from parley.domain.accounts.models import User
from parley.domain.oauth import service as oauth
from parley.domain.oauth.models import OAuthApplication
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conformance import assert_conforms


@dataclass
class Caller:
    """A member with a token: `headers` to send, `id` of their account (as Mastodon's string)."""

    user: User
    token: str
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return str(self.user.account_id)


class Api:
    def __init__(self, runtime: Runtime, members: Members, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.members = members
        self.client = client
        self._app: OAuthApplication | None = None

    async def app(self) -> OAuthApplication:
        if self._app is None:
            async with self.runtime.db.transaction() as session:
                self._app, _ = await oauth.register_application(
                    session,
                    name="Test app",
                    redirect_uris=[oauth.OOB],
                    scopes="read write follow push",
                )
        return self._app

    async def token(self, user: User | None, scopes: str = "read write follow") -> str:
        application = await self.app()
        async with self.runtime.db.transaction() as session:
            issued = await oauth.issue_token(
                session,
                application=application,
                account_id=user.account_id if user else None,
                scopes=scopes.split(),
            )
        return issued.secret

    async def member(self, username: str, scopes: str = "read write follow") -> Caller:
        user = await self.members.create(username)
        token = await self.token(user, scopes)
        return Caller(user, token, {"Authorization": f"Bearer {token}"})

    async def call(
        self,
        method: str,
        path: str,
        caller: Caller | None = None,
        *,
        status: int = 200,
        schema: str | None = None,
        context: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call the API, check the status and (for success or error) the body's shape."""
        headers = dict(kwargs.pop("headers", {}))
        if caller is not None:
            headers.update(caller.headers)
        response = await self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == status, (response.status_code, response.text)
        body = response.json()
        if status >= 400:
            assert_conforms(body, "Error")
        elif schema is not None:
            assert_conforms(body, schema, context=context)
        return body


@pytest.fixture
def api(runtime: Runtime, members: Members, client: httpx.AsyncClient) -> Api:
    return Api(runtime, members, client)
