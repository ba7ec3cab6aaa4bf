"""Changing or resetting a password signs the member out of every app, as Mastodon does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parley.domain.accounts import service as accounts
from parley.domain.accounts.deletion import delete_account
from parley.domain.accounts.models import Account, User
from parley.domain.errors import Invalid
from parley.domain.oauth.models import OAuthAccessToken
from parley.runtime import Runtime
from tests.conftest import PASSWORD
from tests.integration.mastodon.conftest import Api


async def test_password_change_revokes_every_app_token(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    await api.call("GET", "/api/v1/accounts/verify_credentials", alice)
    async with runtime.db.transaction() as session:
        user = await session.get(User, alice.user.id)
        assert user is not None
        await accounts.change_password(
            session, runtime.ctx, user=user, current=PASSWORD, new="a brand new passphrase"
        )
    await api.call("GET", "/api/v1/accounts/verify_credentials", alice, status=401)


async def test_wrong_current_password_keeps_app_tokens_working(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    async with runtime.db.transaction() as session:
        user = await session.get(User, alice.user.id)
        assert user is not None
        with pytest.raises(Invalid):
            await accounts.change_password(
                session, runtime.ctx, user=user, current="not my password", new="whatever123"
            )
    await api.call("GET", "/api/v1/accounts/verify_credentials", alice)


async def test_deleting_the_account_ends_every_app_token(api: Api, runtime: Runtime) -> None:
    alice = await api.member("alice")
    async with runtime.db.transaction() as session:
        account = await session.get(Account, alice.user.account_id)
        assert account is not None
        await delete_account(session, runtime.ctx, account=account, password=PASSWORD)
    await api.call("GET", "/api/v1/accounts/verify_credentials", alice, status=401)
    async with runtime.db.reader() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(OAuthAccessToken)
            .where(OAuthAccessToken.account_id == alice.user.account_id)
        )
    assert left == 0
