"""Who may do what in moderation: decided here, once, for every door.

moderator: reports and actions on accounts and posts, appeals;
admin: and instance-level blocks (domains, e-mail domains, IPs), rules, settings, audit log;
owner: and roles.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account, Role, User
from parley.domain.errors import Forbidden


class Permission:
    MANAGE_REPORTS = "manage_reports"
    ACT_ON_ACCOUNTS = "act_on_accounts"
    DECIDE_APPEALS = "decide_appeals"
    MANAGE_BLOCKS = "manage_blocks"
    MANAGE_RULES = "manage_rules"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_ROLES = "manage_roles"


_MODERATOR = frozenset(
    {Permission.MANAGE_REPORTS, Permission.ACT_ON_ACCOUNTS, Permission.DECIDE_APPEALS}
)
_ADMIN = _MODERATOR | {
    Permission.MANAGE_BLOCKS,
    Permission.MANAGE_RULES,
    Permission.MANAGE_SETTINGS,
    Permission.VIEW_AUDIT_LOG,
}
GRANTS: dict[str, frozenset[str]] = {
    Role.MEMBER: frozenset(),
    Role.MODERATOR: _MODERATOR,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _ADMIN | {Permission.MANAGE_ROLES},
}
STAFF = (Role.OWNER, Role.ADMIN, Role.MODERATOR)


def role_allows(role: str | None, permission: str) -> bool:
    return permission in GRANTS.get(role or Role.MEMBER, frozenset())


async def role_of(session: AsyncSession, account: Account) -> str:
    """A local account's role; remote accounts are members here."""
    if account.domain is not None:
        return Role.MEMBER
    role = await session.scalar(select(User.role).where(User.account_id == account.id))
    return role or Role.MEMBER


async def require(session: AsyncSession, actor: Account, permission: str) -> str:
    """The actor's role, if it grants `permission`; Forbidden otherwise."""
    role = await role_of(session, actor)
    if actor.suspended_at is not None or not role_allows(role, permission):
        raise Forbidden("You are not allowed to do this")
    return role
