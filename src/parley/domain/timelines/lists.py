"""Lists: named subsets of the accounts a member follows, each with its own timeline.

Commands take the owner's Account; reads take ids. Someone else's list is NotFound, never
Forbidden, so list ids reveal nothing. Members are paged by account id (the cursor), which the
(list_id, account_id) primary key keeps in order.
"""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid, NotFound
from parley.domain.pagination import PageRequest
from parley.domain.relationships.models import Follow
from parley.domain.timelines.models import List, ListMember, ReplyPolicy

MAX_TITLE = 100
MAX_LISTS = 50  # per owner, Mastodon's limit


def _clean_title(title: str) -> str:
    title = title.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise Invalid("title", f"A list title is 1 to {MAX_TITLE} characters")
    return title


def _check_policy(replies_policy: str) -> str:
    if replies_policy not in ReplyPolicy.ALL:
        raise Invalid(
            "replies_policy", f"replies_policy must be one of {', '.join(ReplyPolicy.ALL)}"
        )
    return replies_policy


async def get_list(session: AsyncSession, owner_id: int, list_id: int) -> List:
    found = await session.get(List, list_id)
    if found is None or found.account_id != owner_id:
        raise NotFound("Record not found")
    return found


async def list_lists(session: AsyncSession, owner_id: int) -> list[List]:
    """The owner's lists, alphabetically (case-insensitive), as Mastodon apps expect."""
    rows = await session.scalars(
        select(List).where(List.account_id == owner_id).order_by(func.lower(List.title), List.id)
    )
    return list(rows.all())


async def list_members(
    session: AsyncSession, owner_id: int, list_id: int, page: PageRequest
) -> list[tuple[int, Account]]:
    """`(cursor, Account)` pairs, cursor = the member's account id, newest account first."""
    await get_list(session, owner_id, list_id)
    stmt = (
        select(ListMember.account_id, Account)
        .join(Account, Account.id == ListMember.account_id)
        .where(ListMember.list_id == list_id, Account.suspended_at.is_(None))
    )
    # PageRequest.apply is typed for SQLAlchemy 2.0's Select[tuple[...]]; 2.1's is variadic.
    paged: Select[int, Account] = page.apply(stmt, ListMember.account_id)
    rows = (await session.execute(paged)).all()
    return page.newest_first([(cursor, account) for cursor, account in rows])


async def lists_containing(session: AsyncSession, owner_id: int, account_id: int) -> list[List]:
    """Which of the owner's lists `account_id` is on."""
    rows = await session.scalars(
        select(List)
        .join(ListMember, ListMember.list_id == List.id)
        .where(List.account_id == owner_id, ListMember.account_id == account_id)
        .order_by(func.lower(List.title), List.id)
    )
    return list(rows.all())


async def create_list(
    session: AsyncSession,
    *,
    owner: Account,
    title: str,
    replies_policy: str = ReplyPolicy.LIST,
    exclusive: bool = False,
) -> List:
    title = _clean_title(title)
    _check_policy(replies_policy)
    count = await session.scalar(
        select(func.count()).select_from(List).where(List.account_id == owner.id)
    )
    if (count or 0) >= MAX_LISTS:
        raise Invalid(None, f"You can have at most {MAX_LISTS} lists")
    created = List(
        account_id=owner.id, title=title, replies_policy=replies_policy, exclusive=exclusive
    )
    session.add(created)
    await session.flush()
    return created


async def update_list(
    session: AsyncSession,
    *,
    owner: Account,
    list_id: int,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> List:
    """Change what is given; validate everything before changing anything."""
    found = await get_list(session, owner.id, list_id)
    new_title = _clean_title(title) if title is not None else found.title
    new_policy = _check_policy(replies_policy) if replies_policy is not None else None
    found.title = new_title
    if new_policy is not None:
        found.replies_policy = new_policy
    if exclusive is not None:
        found.exclusive = exclusive
    await session.flush()
    return found


async def delete_list(session: AsyncSession, *, owner: Account, list_id: int) -> None:
    found = await get_list(session, owner.id, list_id)
    await session.delete(found)
    await session.flush()


async def add_list_members(
    session: AsyncSession, *, owner: Account, list_id: int, account_ids: list[int]
) -> None:
    """Add accounts the owner follows (Mastodon's rule); all or nothing, re-adding is a no-op."""
    await get_list(session, owner.id, list_id)
    wanted = set(account_ids)
    followed = set(
        (
            await session.scalars(
                select(Follow.target_id).where(
                    Follow.account_id == owner.id, Follow.target_id.in_(wanted)
                )
            )
        ).all()
    )
    if wanted - followed:
        raise Invalid("account_ids", "You can only add accounts you follow to a list")
    present = set(
        (
            await session.scalars(
                select(ListMember.account_id).where(ListMember.list_id == list_id)
            )
        ).all()
    )
    session.add_all(
        ListMember(list_id=list_id, account_id=account_id) for account_id in wanted - present
    )
    await session.flush()


async def remove_list_members(
    session: AsyncSession, *, owner: Account, list_id: int, account_ids: list[int]
) -> None:
    await get_list(session, owner.id, list_id)
    await session.execute(
        delete(ListMember).where(
            ListMember.list_id == list_id, ListMember.account_id.in_(set(account_ids))
        )
    )


async def remove_from_all_lists(session: AsyncSession, *, owner_id: int, account_id: int) -> None:
    """Take `account_id` off every list of `owner_id` (when the owner stops following them)."""
    await session.execute(
        delete(ListMember).where(
            ListMember.account_id == account_id,
            ListMember.list_id.in_(select(List.id).where(List.account_id == owner_id)),
        )
    )
