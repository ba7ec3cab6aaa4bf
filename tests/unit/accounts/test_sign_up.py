from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, User
from parley.domain.errors import Conflict, Forbidden, Invalid, Unauthenticated
from parley.domain.instance import service as instance
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members


async def _count_accounts(runtime: Runtime) -> int:
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def test_sign_up_stores_an_argon2id_hash_and_an_rsa_key(
    runtime: Runtime, members: Members
) -> None:
    user = await members.create("alice")
    async with runtime.db.reader() as session:
        stored = await session.get(User, user.id)
        account = await session.get(Account, user.account_id)
    assert stored is not None
    assert account is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert account.public_key_pem
    assert "BEGIN PUBLIC KEY" in account.public_key_pem
    assert account.uri == "https://parley.test/users/alice"


async def test_ids_are_large_and_time_sorted_not_sequential(members: Members) -> None:
    first = await members.create("first")
    second = await members.create("second")
    assert second.account_id > first.account_id
    assert second.account_id - first.account_id > 1000  # not a counter a scraper can walk
    assert first.account_id > 2**40


@pytest.mark.parametrize(
    ("username", "email", "password", "field"),
    [
        ("", "a@example.org", PASSWORD, "username"),
        ("has space", "a@example.org", PASSWORD, "username"),
        ("x" * 31, "a@example.org", PASSWORD, "username"),
        ("admin", "a@example.org", PASSWORD, "username"),
        ("bob", "not-an-email", PASSWORD, "email"),
        ("bob", "b@example.org", "short", "password"),
    ],
)
async def test_bad_sign_up_is_refused_and_creates_nothing(
    runtime: Runtime, username: str, email: str, password: str, field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        async with runtime.db.transaction() as session:
            await accounts.register(
                session, runtime.ctx, username=username, email=email, password=password,
                rules_accepted=True,
            )  # fmt: skip
    assert caught.value.field == field
    assert await _count_accounts(runtime) == 0


async def test_taken_username_is_refused_whatever_its_case(
    runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    with pytest.raises(Conflict):
        await members.create("ALICE")
    assert await _count_accounts(runtime) == 1


async def test_rules_must_be_accepted_when_the_server_has_rules(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await instance.add_rule(session, text="No threats of violence")
    with pytest.raises(Invalid) as caught:
        async with runtime.db.transaction() as session:
            await accounts.register(
                session, runtime.ctx, username="bob", email="bob@example.org", password=PASSWORD,
                rules_accepted=False,
            )  # fmt: skip
    assert caught.value.field == "agreement"


async def test_closed_registrations_refuse_sign_up_but_not_admins(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await instance.update_instance_info(session, registration_mode="closed")
    with pytest.raises(Forbidden):
        async with runtime.db.transaction() as session:
            await accounts.register(
                session, runtime.ctx, username="bob", email="bob@example.org", password=PASSWORD,
                rules_accepted=True,
            )  # fmt: skip
    async with runtime.db.transaction() as session:
        await accounts.register(
            session, runtime.ctx, username="bob", email="bob@example.org", password=PASSWORD,
            rules_accepted=True, by_admin=True,
        )  # fmt: skip
    assert await _count_accounts(runtime) == 1


async def test_sign_in_by_username_or_email_and_wrong_password_fails(
    runtime: Runtime, members: Members
) -> None:
    user = await members.create("alice")
    async with runtime.db.transaction() as session:
        by_name = await accounts.authenticate(
            session, runtime.ctx, login="Alice", password=PASSWORD
        )
        by_mail = await accounts.authenticate(
            session, runtime.ctx, login="alice@example.org", password=PASSWORD
        )
        assert by_name.id == by_mail.id == user.id
        with pytest.raises(Unauthenticated):
            await accounts.authenticate(
                session, runtime.ctx, login="alice", password="wrong password"
            )
        with pytest.raises(Unauthenticated):
            await accounts.authenticate(session, runtime.ctx, login="nobody", password=PASSWORD)
