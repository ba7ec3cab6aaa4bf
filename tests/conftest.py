"""Shared fixtures: settings, a migrated database per test, the app, an HTTP client, members.

The database engine is chosen by PARLEY_TEST_DATABASE: `sqlite` (default) or `postgresql`
(a real server started by tests/postgres.py from the installed Debian binaries).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from parley.app import create_app
from parley.config import Settings
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import User
from parley.runtime import Runtime
from tests.databases import Databases, TestDatabases

TEST_DOMAIN = "parley.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = TestDatabases.from_environment(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.close()


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    url = databases.fresh(tmp_path)
    yield url
    databases.release(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        domain=TEST_DOMAIN,
        database_url=database_url,
        data_dir=tmp_path,
        media_dir=tmp_path / "media",
        secret_key="test-secret-key-not-for-production",
        password_time_cost=1,
        password_memory_cost_kib=1024,
        embedded_worker=False,
        cookie_secure=False,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings, run_worker=False)
    yield application
    # Its lifespan never ran, so close what requests opened (Redis connections, with
    # PARLEY_REDIS_URL: a change publishes to the other processes).
    await application.state.runtime.broker.close()
    await application.state.federation.aclose()  # pooled outbound connections, likewise
    await application.state.runtime.db.dispose()


@pytest.fixture
def runtime(app: Starlette) -> Runtime:
    result: Runtime = app.state.runtime
    return result


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as c:
        yield c


class Members:
    """Creates members through the real sign-up service."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def create(
        self, username: str, *, role: str = "member", password: str = PASSWORD
    ) -> User:
        async with self.runtime.db.transaction() as session:
            return await accounts.register(
                session,
                self.runtime.ctx,
                username=username,
                email=f"{username.lower()}@example.org",
                password=password,
                rules_accepted=True,
                role=role,
                by_admin=role != "member",
            )


@pytest.fixture
def members(runtime: Runtime) -> Members:
    return Members(runtime)
