"""Fixtures shared with the web, Mastodon API and federation tests, plus staff members."""

from __future__ import annotations

import pytest

from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conftest import Api, Caller, api
from tests.integration.web.conftest import Browser, browser_factory
from tests.unit.activitypub.conftest import fed, remote, worker

__all__ = ["Api", "Browser", "Caller", "api", "browser_factory", "fed", "remote", "worker"]


class Staff:
    def __init__(self, api: Api, members: Members) -> None:
        self.api = api
        self.members = members

    async def caller(self, username: str, role: str, scopes: str = "read write") -> Caller:
        user = await self.members.create(username, role=role)
        token = await self.api.token(user, scopes)
        return Caller(user, token, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def staff(api: Api, members: Members, runtime: Runtime) -> Staff:
    return Staff(api, members)
