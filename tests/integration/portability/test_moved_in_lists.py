"""A moved account's `moved` is in every Account entity the Mastodon API renders (lists,
search, statuses), loaded in one query per page, not one per account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select

from parley.domain.accounts.models import Account
from parley.domain.relationships import service as relationships
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.mastodon.conftest import Api, Caller, api
from tests.integration.portability.conftest import account_named
from tests.unit.posts.factories import write

__all__ = ["api"]
MOVERS = ("old1", "old2", "old3")


async def _setup(members: Members, runtime: Runtime, api: Api) -> Caller:
    caller = await api.member("fan")
    for name in ("new", *MOVERS):
        await members.create(name)
    for name in MOVERS:  # before they move: a moved account posts no more
        await write(runtime, await account_named(runtime, name), f"written by {name}")
    new = await account_named(runtime, "new")
    async with runtime.db.transaction() as session:
        fan = await session.scalar(select(Account).where(Account.username == "fan"))
        assert fan is not None
        for name in MOVERS:
            old = await session.scalar(select(Account).where(Account.username == name))
            assert old is not None
            old.moved_to_id = new.id
            await relationships.follow_account(session, follower=fan, target=old)
            await relationships.follow_account(session, follower=old, target=fan)
    return caller


def _check(accounts: list[dict[str, Any]], new_id: int) -> None:
    movers = [a for a in accounts if a["username"] in MOVERS]
    assert movers, accounts
    for entity in movers:
        assert entity["moved"]["id"] == str(new_id), entity
        assert entity["moved"]["acct"] == "new"
        assert_conforms(entity, "Account")
    for entity in accounts:
        if entity["username"] not in MOVERS:
            assert "moved" not in entity


async def test_moved_is_in_account_lists_search_and_statuses(
    members: Members, runtime: Runtime, api: Api
) -> None:
    fan = await _setup(members, runtime, api)
    new = await account_named(runtime, "new")
    old1 = await account_named(runtime, "old1")

    following = await api.call("GET", f"/api/v1/accounts/{fan.id}/following", fan)
    assert len(following) == 3
    _check(following, new.id)
    _check(await api.call("GET", f"/api/v1/accounts/{fan.id}/followers", fan), new.id)
    found = await api.call("GET", "/api/v1/accounts/search", fan, params={"q": "old"})
    _check(found, new.id)
    v2 = await api.call("GET", "/api/v2/search", fan, params={"q": "old", "type": "accounts"})
    _check(v2["accounts"], new.id)

    statuses = await api.call("GET", f"/api/v1/accounts/{old1.id}/statuses", fan)
    assert statuses
    _check([s["account"] for s in statuses], new.id)
    home = await api.call("GET", "/api/v1/timelines/home", fan)
    assert len(home) == 3
    _check([s["account"] for s in home], new.id)
    for status in home:
        assert_conforms(status, "Status")


async def test_moved_accounts_load_in_one_query_per_page(
    members: Members, runtime: Runtime, api: Api
) -> None:
    """Three moved accounts on a page cost the same queries as one: no N+1."""
    fan = await _setup(members, runtime, api)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async def queries(path: str, limit: int) -> int:
        statements.clear()
        engine = runtime.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            body = await api.call("GET", path, fan, params={"limit": str(limit)})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(body) == limit
        return len(statements)

    for path in (f"/api/v1/accounts/{fan.id}/following", "/api/v1/timelines/home"):
        await queries(path, 3)  # warms the caches (the token's, the instance's)
        assert await queries(path, 1) == await queries(path, 3), path
