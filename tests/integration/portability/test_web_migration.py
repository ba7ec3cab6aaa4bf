"""Aliases and moving an account from the web settings, between two members of one server,
and what the move shows: the old profile says where it went, the API's `moved`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Follow
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.integration.mastodon.conformance import assert_conforms
from tests.integration.portability.conftest import account_named as _account
from tests.integration.web.conftest import Browser


@pytest.fixture
async def people(members: Members, runtime: Runtime) -> None:
    for name in ("old", "new", "fan"):
        await members.create(name)
    async with runtime.db.transaction() as session:
        fan = await session.scalar(select(Account).where(Account.username == "fan"))
        old = await session.scalar(select(Account).where(Account.username == "old"))
        assert fan is not None
        assert old is not None
        await relationships.follow_account(session, follower=fan, target=old, notify=True)


async def test_a_member_moves_to_another_account_from_the_web(
    people: None, browser_factory: Callable[[], Browser], runtime: Runtime
) -> None:
    new, old = browser_factory(), browser_factory()
    assert (await new.sign_in("new")).status_code == 303
    assert (await old.sign_in("old")).status_code == 303

    # Moving before the new account lists the old one is refused.
    refused = await old.post(
        "/settings/migration/move",
        {"target": "new@parley.test", "current_password": PASSWORD},
        page="/settings/migration",
    )
    assert refused.status_code == 422
    assert "does not list this account as an alias" in refused.text

    added = await new.post(
        "/settings/migration/aliases", {"alias": "old@parley.test"}, page="/settings/migration"
    )
    assert added.status_code == 303
    page = await new.get("/settings/migration")
    assert "https://parley.test/users/old" in page.text

    wrong = await old.post(
        "/settings/migration/move",
        {"target": "new@parley.test", "current_password": "not it"},
        page="/settings/migration",
    )
    assert wrong.status_code == 422
    assert "Current password is not correct" in wrong.text
    moved = await old.post(
        "/settings/migration/move",
        {"target": "new@parley.test", "current_password": PASSWORD},
        page="/settings/migration",
    )
    assert moved.status_code == 303, moved.text
    await runtime.worker.drain()

    fan = await _account(runtime, "fan")
    old_account = await _account(runtime, "old")
    new_account = await _account(runtime, "new")
    async with runtime.db.reader() as session:
        follow = await session.scalar(select(Follow).where(Follow.account_id == fan.id))
    assert follow is not None
    assert (follow.target_id, follow.notify) == (new_account.id, True)
    assert old_account.moved_to_id == new_account.id

    profile = await new.get("/@old")
    assert "has moved to" in profile.text
    assert "@new" in profile.text
    api = await new.get(f"/api/v1/accounts/{old_account.id}")
    assert api.json()["moved"]["id"] == str(new_account.id)
    assert_conforms(api.json(), "Account")
    looked_up = await new.get("/api/v1/accounts/lookup", params={"acct": "old"})
    assert looked_up.json()["moved"]["acct"] == "new"
    assert "moved" not in (await new.get(f"/api/v1/accounts/{new_account.id}")).json()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "Give an account address"),
        ("not an address", "Give an account address"),
        ("ghost@parley.test", "There is no account"),
        ("new@127.0.0.1", "Could not find"),
        ("someone@unreachable.invalid", "Could not find"),
    ],
)
async def test_bad_aliases_are_refused(
    people: None, browser: Browser, runtime: Runtime, address: str, message: str
) -> None:
    assert (await browser.sign_in("new")).status_code == 303
    answer = await browser.post(
        "/settings/migration/aliases", {"alias": address}, page="/settings/migration"
    )
    assert answer.status_code == 422
    assert message in answer.text
    assert (await _account(runtime, "new")).also_known_as == []


async def test_an_alias_can_be_removed_and_only_a_listed_one(
    people: None, browser: Browser, runtime: Runtime
) -> None:
    assert (await browser.sign_in("new")).status_code == 303
    await browser.post(
        "/settings/migration/aliases", {"alias": "@old@parley.test"}, page="/settings/migration"
    )
    assert (await _account(runtime, "new")).also_known_as == ["https://parley.test/users/old"]
    missing = await browser.post(
        "/settings/migration/aliases/remove",
        {"uri": "https://elsewhere.example/users/x"},
        page="/settings/migration",
    )
    assert missing.status_code == 422
    removed = await browser.post(
        "/settings/migration/aliases/remove",
        {"uri": "https://parley.test/users/old"},
        page="/settings/migration",
    )
    assert removed.status_code == 303
    assert (await _account(runtime, "new")).also_known_as == []
