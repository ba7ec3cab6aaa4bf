"""Invitation links: a member (or an admin) creates one with a use limit and an expiry,
shares /invite/<code>, and may revoke it. Sign-up with a valid invite is accepted even when
the server only takes invited sign-ups, and skips approval; a closed server takes none."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account, Invite, User
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.instance.service import RegistrationMode, get_instance_info
from parley.domain.moderation.permissions import Permission, role_allows, role_of

# Mastodon's choices, offered by the web form and accepted by the service.
MAX_USES_CHOICES = (1, 5, 10, 25, 50, 100)
EXPIRY_CHOICES = {
    "1800": timedelta(minutes=30),
    "3600": timedelta(hours=1),
    "21600": timedelta(hours=6),
    "43200": timedelta(hours=12),
    "86400": timedelta(days=1),
    "604800": timedelta(weeks=1),
}
MAX_ACTIVE = 100  # per member: enough for anyone, not a way to flood the table
INVALID_INVITE = "This invitation has expired, was revoked or has been used up"


def is_usable(invite: Invite) -> bool:
    now = utcnow()
    return (
        invite.revoked_at is None
        and (invite.expires_at is None or invite.expires_at > now)
        and (invite.max_uses is None or invite.uses < invite.max_uses)
    )


async def create_invite(
    session: AsyncSession, *, account: Account, max_uses: int | None, expires_in: str | None
) -> Invite:
    """`max_uses` None means unlimited; `expires_in` is a key of EXPIRY_CHOICES or None."""
    if account.domain is not None or account.suspended_at is not None:
        raise Forbidden("You are not allowed to do this")
    if account.frozen_at is not None:
        raise Forbidden("Your account is frozen: you cannot invite anyone")
    if (await get_instance_info(session)).registration_mode == RegistrationMode.CLOSED:
        raise Forbidden("Registrations are closed on this server: invitations cannot be used")
    if max_uses is not None and max_uses not in MAX_USES_CHOICES:
        raise Invalid("max_uses", "Choose how many times the link can be used")
    if expires_in is not None and expires_in not in EXPIRY_CHOICES:
        raise Invalid("expires_in", "Choose when the link expires")
    active = await list_invites(session, account=account, usable_only=True)
    if len(active) >= MAX_ACTIVE:
        raise Invalid(None, f"You have {MAX_ACTIVE} active invitations; revoke some first")
    invite = Invite(
        code=secrets.token_urlsafe(6),
        account_id=account.id,
        max_uses=max_uses,
        expires_at=None if expires_in is None else utcnow() + EXPIRY_CHOICES[expires_in],
    )
    session.add(invite)
    await session.flush()
    return invite


async def list_invites(
    session: AsyncSession, *, account: Account | None, usable_only: bool = False
) -> list[Invite]:
    """A member's invites, newest first (`account` None: everyone's, for admins)."""
    stmt = select(Invite).order_by(Invite.id.desc())
    if account is not None:
        stmt = stmt.where(Invite.account_id == account.id)
    if usable_only:
        now = utcnow()
        stmt = stmt.where(
            Invite.revoked_at.is_(None),
            or_(Invite.expires_at.is_(None), Invite.expires_at > now),
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
    return list((await session.scalars(stmt)).all())


async def revoke_invite(session: AsyncSession, *, actor: Account, invite_id: int) -> Invite:
    """Its creator, or an admin, stops a link from working; accounts made with it stay."""
    invite = await session.get(Invite, invite_id)
    if invite is None:
        raise NotFound("This invitation does not exist")
    if invite.account_id != actor.id and not role_allows(
        await role_of(session, actor), Permission.MANAGE_SETTINGS
    ):
        raise NotFound("This invitation does not exist")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
    return invite


async def find_invite(session: AsyncSession, code: str) -> Invite | None:
    if not code or len(code) > 32:
        return None
    return await session.scalar(select(Invite).where(Invite.code == code))


async def get_usable_invite(session: AsyncSession, code: str) -> Invite:
    """Invalid for an unknown code and for one that can no longer be used."""
    invite = await find_invite(session, code.strip())
    if invite is None:
        raise Invalid("invite_code", "This invitation does not exist")
    if not is_usable(invite):
        raise Invalid("invite_code", INVALID_INVITE)
    creator = await session.get(Account, invite.account_id)
    if creator is None or creator.suspended_at is not None:  # a suspended member's links die
        raise Invalid("invite_code", INVALID_INVITE)
    return invite


async def use_invite(session: AsyncSession, *, invite: Invite, user: User) -> None:
    """Count one use, atomically: of two sign-ups racing for the last use, one is refused."""
    now = utcnow()
    claimed = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.revoked_at.is_(None),
            or_(Invite.expires_at.is_(None), Invite.expires_at > now),
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid("invite_code", INVALID_INVITE)
    user.invite_id = invite.id
