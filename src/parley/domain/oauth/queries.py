"""Reading OAuth applications and tokens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account, User
from parley.domain.oauth.models import OAuthAccessToken, OAuthApplication
from parley.infra.tokens import digest


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a bearer token stands for: an app, its scopes, and the member (None if app-only)."""

    token: OAuthAccessToken
    application: OAuthApplication
    account: Account | None
    user: User | None

    @property
    def scopes(self) -> list[str]:
        return self.token.scopes.split()


async def find_application(session: AsyncSession, client_id: str) -> OAuthApplication | None:
    if not client_id or len(client_id) > 64:
        return None
    return await session.scalar(
        select(OAuthApplication).where(OAuthApplication.client_id == client_id)
    )


async def find_token_grant(session: AsyncSession, token: str) -> TokenGrant | None:
    """The grant behind a live token; None for unknown or revoked tokens and for members who
    can no longer sign in (disabled, suspended, not yet approved)."""
    row = (
        await session.execute(
            select(OAuthAccessToken, OAuthApplication)
            .join(OAuthApplication, OAuthApplication.id == OAuthAccessToken.application_id)
            .where(OAuthAccessToken.token_hash == digest(token))
        )
    ).first()
    if row is None:
        return None
    access, application = row
    if access.revoked_at is not None:
        return None
    if access.account_id is None:
        return TokenGrant(access, application, None, None)
    found = (
        await session.execute(
            select(Account, User)
            .join(User, User.account_id == Account.id)
            .where(Account.id == access.account_id)
        )
    ).first()
    if found is None:
        return None
    account, user = found
    if account.suspended_at is not None or user.disabled or not user.approved:
        return None
    return TokenGrant(access, application, account, user)


async def unusable_token_reason(session: AsyncSession, token: str) -> str | None:
    """Why a live token's member cannot use it: "pending" (waiting for approval) or
    "disabled" (suspended or disabled); None for an unknown or revoked token."""
    row = (
        await session.execute(
            select(Account.suspended_at, User.disabled, User.approved)
            .join(User, User.account_id == Account.id)
            .join(OAuthAccessToken, OAuthAccessToken.account_id == Account.id)
            .where(
                OAuthAccessToken.token_hash == digest(token), OAuthAccessToken.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    suspended_at, disabled, approved = row
    if not approved:
        return "pending"
    return "disabled" if suspended_at is not None or disabled else None
