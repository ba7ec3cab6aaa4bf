"""A member hiding a whole remote server (Mastodon's user-level domain block).

Its effect is read elsewhere: the accounts of a blocked domain join `excluded_account_ids`
(timelines, notifications, streaming, search) and `hidden_authors` (threads), and the
relationship says `domain_blocking`. Blocking also removes the member's followers (and
follow requests) from that domain, as Mastodon does; unblocking restores nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid
from parley.domain.moderation.blocks import normalize_domain
from parley.domain.pagination import PageRequest
from parley.domain.relationships.models import AccountDomainBlock, Follow, FollowRequest
from parley.domain.relationships.service import remove_follower

MAX_DOMAIN_BLOCKS = 1000


def _clean(domain: str, local_domain: str) -> str:
    raw = domain.strip()
    if "/" in raw or "@" in raw or not raw:
        raise Invalid("domain", f"{raw[:100]!r} is not a domain name")
    cleaned = normalize_domain(raw.partition(":")[0])
    if cleaned == local_domain.lower().partition(":")[0]:
        raise Invalid("domain", "You cannot block your own server")
    return cleaned


async def block_domain_for(
    session: AsyncSession, *, account: Account, domain: str, local_domain: str
) -> AccountDomainBlock:
    """Hide `domain` from `account` (already hidden: the existing block, unchanged)."""
    cleaned = _clean(domain, local_domain)
    existing = await session.scalar(
        select(AccountDomainBlock).where(
            AccountDomainBlock.account_id == account.id, AccountDomainBlock.domain == cleaned
        )
    )
    if existing is not None:
        return existing
    count = len(
        (
            await session.scalars(
                select(AccountDomainBlock.id).where(AccountDomainBlock.account_id == account.id)
            )
        ).all()
    )
    if count >= MAX_DOMAIN_BLOCKS:
        raise Invalid("domain", f"You can block at most {MAX_DOMAIN_BLOCKS} servers")
    block = AccountDomainBlock(account_id=account.id, domain=cleaned)
    session.add(block)
    await session.flush()
    followers = await session.scalars(
        select(Account.id).where(
            Account.domain == cleaned,
            Account.id.in_(
                select(Follow.account_id)
                .where(Follow.target_id == account.id)
                .union(
                    select(FollowRequest.account_id).where(FollowRequest.target_id == account.id)
                )
            ),
        )
    )
    for follower_id in list(followers):
        await remove_follower(session, account=account, follower_id=follower_id)
    return block


async def unblock_domain_for(
    session: AsyncSession, *, account: Account, domain: str, local_domain: str
) -> None:
    """Show `domain` again (not blocked: nothing to do, as in Mastodon)."""
    cleaned = _clean(domain, local_domain)
    await session.execute(
        delete(AccountDomainBlock).where(
            AccountDomainBlock.account_id == account.id, AccountDomainBlock.domain == cleaned
        )
    )


async def list_domain_blocks_of(
    session: AsyncSession, account_id: int, page: PageRequest
) -> list[tuple[int, str]]:
    """(cursor, domain) pairs, newest block first."""
    stmt = select(AccountDomainBlock.id, AccountDomainBlock.domain).where(
        AccountDomainBlock.account_id == account_id
    )
    rows = (await session.execute(page.apply(stmt, AccountDomainBlock.id))).all()
    return page.newest_first([(cursor, domain) for cursor, domain in rows])


async def blocked_domains(session: AsyncSession, account_id: int) -> set[str]:
    rows = await session.scalars(
        select(AccountDomainBlock.domain).where(AccountDomainBlock.account_id == account_id)
    )
    return set(rows)
