"""Moving an account between servers: aliases (alsoKnownAs), Move out and Move in.

Moving from X to Y takes two steps, as on Mastodon: Y lists X as an alias (alsoKnownAs),
then X moves to Y. A server only believes a Move whose target lists the origin as an alias,
so no one can steal another account's followers by claiming a move.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.domain.accounts.models import Account, User
from parley.domain.accounts.queries import find_local_account
from parley.domain.context import DomainContext
from parley.domain.errors import DomainError, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.federation.lookup import remote_query
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import AccountDomainBlock, Follow

log = logging.getLogger(__name__)

MAX_ALIASES = 10
# As on Mastodon: an account moves out at most once in this period.
MOVE_COOLDOWN = timedelta(days=30)


async def resolve_address(
    db: Database, ctx: DomainContext, address: str, *, field: str, fresh: bool = False
) -> Account:
    """The account `address` names (`user@host`, `@user@host` or an actor URL).

    Remote accounts are fetched through the federation adapter (again, with `fresh`, so
    their current aliases are seen). Raises Invalid(`field`) when it cannot be found.
    """
    address = address.strip()
    parsed = remote_query(address) if address else None
    if parsed is None:
        raise Invalid(field, "Give an account address like name@example.social")
    normalised, host = parsed
    async with db.reader() as session:
        if host == ctx.settings.domain.lower():
            if normalised.startswith("https://"):
                found = await session.scalar(
                    select(Account).where(Account.uri == normalised, Account.domain.is_(None))
                )
            else:
                found = await find_local_account(session, normalised.split("@", 1)[0])
            if found is None:
                raise Invalid(field, f"There is no account {address} here")
            return found
    resolver = ctx.refresh_remote_account if fresh else ctx.resolve_remote_account
    account_id = None
    if resolver is not None:
        try:
            account_id = await resolver(normalised)
        except Exception:  # a remote failure is the member's error message, not a 500
            log.info("could not resolve %s", normalised, exc_info=True)
    async with db.reader() as session:
        found = None if account_id is None else await session.get(Account, account_id)
    if found is None:
        raise Invalid(field, f"Could not find {address}; check the address and try again")
    return found


async def _own(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None or account.domain is not None:
        raise NotFound("Record not found")
    return account


async def add_alias(db: Database, ctx: DomainContext, *, account_id: int, address: str) -> str:
    """List another account as this one's alias, so it may move here. Returns its URI."""
    other = await resolve_address(db, ctx, address, field="alias")
    async with db.transaction() as session:
        account = await _own(session, account_id)
        if other.id == account.id:
            raise Invalid("alias", "An account cannot be its own alias")
        aliases = list(account.also_known_as or [])
        if other.uri in aliases:
            return other.uri
        if len(aliases) >= MAX_ALIASES:
            raise Invalid("alias", f"An account can have at most {MAX_ALIASES} aliases")
        account.also_known_as = [*aliases, other.uri]
        # Other servers read alsoKnownAs from the actor: tell them it changed.
        await record(session, Event.PROFILE_UPDATED, account_id=account.id)
    return other.uri


async def remove_alias(session: AsyncSession, *, account_id: int, uri: str) -> None:
    account = await _own(session, account_id)
    aliases = list(account.also_known_as or [])
    if uri not in aliases:
        raise NotFound("That alias is not listed")
    account.also_known_as = [a for a in aliases if a != uri]
    await record(session, Event.PROFILE_UPDATED, account_id=account.id)


async def move_account(
    db: Database, ctx: DomainContext, *, account_id: int, password: str, target_address: str
) -> Account:
    """Move out: this account points to `target` from now on and its followers go there.

    The target must list this account as an alias (checked on a fresh fetch). Local
    followers are moved here and now; remote followers' servers move them when they get
    the Move activity (sent by the federation adapter on ACCOUNT_MOVED).
    Returns the target account.
    """
    async with db.reader() as session:
        user = await session.scalar(select(User).where(User.account_id == account_id))
    if user is None or not await ctx.passwords.verify(user.password_hash, password):
        raise Invalid("current_password", "Current password is not correct")
    async with db.reader() as session:
        check_move_cooldown(await _own(session, account_id))
    target = await resolve_address(db, ctx, target_address, field="target", fresh=True)
    async with db.transaction() as session:
        account = await _own(session, account_id)
        check_move_cooldown(account)  # again, in the transaction: two moves at once
        if target.id == account.id:
            raise Invalid("target", "An account cannot move to itself")
        if target.moved_to_id is not None:
            raise Invalid("target", "That account has itself moved away")
        if target.suspended_at is not None:
            raise Invalid("target", "That account is suspended")
        if account.uri not in (target.also_known_as or []):
            raise Invalid(
                "target",
                f"{target.acct()} does not list this account as an alias yet: "
                "add the alias on the new account first",
            )
        stored_target = await session.get(Account, target.id)
        assert stored_target is not None
        account.moved_to_id = stored_target.id
        account.moved_at = utcnow()
        await record(session, Event.ACCOUNT_MOVED, account_id=account.id, target_id=target.id)
        await transfer_followers(session, origin=account, target=stored_target)
        return stored_target


def check_move_cooldown(account: Account) -> None:
    """Refuses a Move out within MOVE_COOLDOWN of the last one."""
    if account.moved_at is None:
        return
    allowed_from = account.moved_at + MOVE_COOLDOWN
    if utcnow() < allowed_from:
        raise Invalid(
            "target",
            f"This account moved on {account.moved_at:%Y-%m-%d}; an account can move only "
            f"once every {MOVE_COOLDOWN.days} days, so it can move again from "
            f"{allowed_from:%Y-%m-%d %H:%M} UTC",
        )


async def accept_move(session: AsyncSession, *, origin_id: int, target_id: int) -> int:
    """Move in: a remote account moved to `target` (its alias checked by the caller).

    Records the move and moves the origin's local followers. Replaying it changes nothing.
    """
    origin = await session.get(Account, origin_id)
    target = await session.get(Account, target_id)
    if origin is None or target is None or origin.domain is None:
        raise NotFound("Record not found")
    origin.moved_to_id = target.id
    return await transfer_followers(session, origin=origin, target=target)


async def set_remote_moved_to(
    session: AsyncSession, *, account_id: int, target_id: int | None
) -> None:
    """A remote actor's movedTo, as its document says: shown on its profile and in the
    API only. Follows move only on a verified Move activity (accept_move)."""
    account = await session.get(Account, account_id)
    if account is not None and account.domain is not None and account.id != target_id:
        account.moved_to_id = target_id


async def transfer_followers(session: AsyncSession, *, origin: Account, target: Account) -> int:
    """Local followers of `origin` follow `target` (keeping their settings) and unfollow
    `origin`. Followers who block the target or are blocked by it, and followers who blocked
    the target's server, keep their old follow. Returns how many moved."""
    follows = list(
        await session.scalars(
            select(Follow)
            .join(Account, Account.id == Follow.account_id)
            .where(Follow.target_id == origin.id, Account.domain.is_(None))
        )
    )
    moved = 0
    for follow in follows:
        follower = await session.get(Account, follow.account_id)
        if follower is None or follower.id == target.id:
            continue
        # follow_account refuses a block either way; a member's domain block is checked here.
        if target.domain is not None and await _blocks_server(session, follower, target.domain):
            log.info("not moving follower %s to %s: domain blocked", follower.id, target.id)
            continue
        try:
            async with session.begin_nested():
                await relationships.follow_account(
                    session,
                    follower=follower,
                    target=target,
                    show_echoes=follow.show_echoes,
                    notify=follow.notify,
                )
        except DomainError as exc:  # blocked, frozen: this follower stays where they were
            log.info("not moving follower %s to %s: %s", follower.id, target.id, exc)
            continue
        await relationships.unfollow_account(session, follower=follower, target=origin)
        moved += 1
    return moved


async def _blocks_server(session: AsyncSession, member: Account, domain: str) -> bool:
    found = await session.scalar(
        select(AccountDomainBlock.id).where(
            AccountDomainBlock.account_id == member.id, AccountDomainBlock.domain == domain.lower()
        )
    )
    return found is not None
