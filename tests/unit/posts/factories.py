"""Small factories for post tests: each call runs the real service in its own transaction.

Relationships (follows, blocks, mutes) are written as rows: they are the setting of these
tests, not what is under test, and the relationship rules are tested with their service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update

from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Block, Follow, Mute
from parley.runtime import Runtime
from tests.conftest import Members


async def member(members: Members, username: str) -> Account:
    user = await members.create(username)
    async with members.runtime.db.reader() as session:
        account = await session.get(Account, user.account_id)
    assert account is not None
    return account


async def write(runtime: Runtime, author: Account, text: str, **options: Any) -> Post:
    async with runtime.db.transaction() as session:
        return await posts.create_post(session, runtime.ctx, author=author, text=text, **options)


async def echo(runtime: Runtime, actor: Account, post_id: int, **options: Any) -> Post:
    async with runtime.db.transaction() as session:
        return await posts.echo_post(session, runtime.ctx, actor=actor, post_id=post_id, **options)


async def reload(runtime: Runtime, model: type[Any], row_id: int) -> Any:
    async with runtime.db.reader() as session:
        return await session.get(model, row_id)


async def count(runtime: Runtime, model: type[Any], *conditions: Any) -> int:
    async with runtime.db.reader() as session:
        stmt = select(func.count()).select_from(model)
        if conditions:
            stmt = stmt.where(*conditions)
        return int(await session.scalar(stmt) or 0)


async def follow(runtime: Runtime, follower: Account, target: Account) -> None:
    async with runtime.db.transaction() as session:
        session.add(Follow(account_id=follower.id, target_id=target.id))
        await session.execute(
            update(Account)
            .where(Account.id == follower.id)
            .values(following_count=Account.following_count + 1)
        )
        await session.execute(
            update(Account)
            .where(Account.id == target.id)
            .values(followers_count=Account.followers_count + 1)
        )


async def block(runtime: Runtime, actor: Account, target: Account) -> None:
    async with runtime.db.transaction() as session:
        session.add(Block(account_id=actor.id, target_id=target.id))


async def mute(runtime: Runtime, actor: Account, target: Account) -> None:
    async with runtime.db.transaction() as session:
        session.add(Mute(account_id=actor.id, target_id=target.id))


def ids(rows: Iterable[Any]) -> list[int]:
    return [row.id for row in rows]
