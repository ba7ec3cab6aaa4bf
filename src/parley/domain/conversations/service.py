"""Marking a conversation read, and removing it from one's list."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.conversations.models import ConversationMark
from parley.domain.conversations.queries import Conversation, get_conversation


async def _mark(session: AsyncSession, account_id: int, thread_id: int) -> ConversationMark:
    mark = await session.get(ConversationMark, (account_id, thread_id))
    if mark is None:
        mark = ConversationMark(
            account_id=account_id, thread_id=thread_id, read_up_to=0, removed_up_to=0
        )
        session.add(mark)
    return mark


async def mark_conversation_read(
    session: AsyncSession, *, account: Account, thread_id: int
) -> Conversation:
    found = await get_conversation(session, account.id, thread_id)
    mark = await _mark(session, account.id, thread_id)
    mark.read_up_to = found.last_post.id
    found.unread = False
    return found


async def remove_conversation(session: AsyncSession, *, account: Account, thread_id: int) -> None:
    """Gone from the list until someone writes in it again; the posts stay."""
    found = await get_conversation(session, account.id, thread_id)
    mark = await _mark(session, account.id, thread_id)
    mark.removed_up_to = found.last_post.id
    mark.read_up_to = max(mark.read_up_to, found.last_post.id)
