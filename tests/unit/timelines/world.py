"""A small test world for relationships, timelines and notifications.

Everything goes through the real services (sign-up, create_post, echo_post, upvote, bookmark,
follow_account); only remote accounts are inserted directly. Each call runs in its own
transaction, with Account arguments loaded in that session as an adapter would. Reads
run in a fresh session, so they see only what was committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.accounts.models import Account
from parley.domain.interactions import service as interactions
from parley.domain.pagination import PageRequest
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post, Visibility
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Mute
from parley.runtime import Runtime
from tests.conftest import Members

T = TypeVar("T")


class World:
    def __init__(self, runtime: Runtime, members: Members) -> None:
        self.runtime = runtime
        self.members = members

    async def account(self, username: str, *, locked: bool = False) -> Account:
        user = await self.members.create(username)
        async with self.runtime.db.transaction() as session:
            if locked:
                await session.execute(
                    update(Account).where(Account.id == user.account_id).values(locked=True)
                )
            account = await session.get(Account, user.account_id)
            assert account is not None
            return account

    async def remote(self, username: str, domain: str = "remote.example") -> Account:
        uri = f"https://{domain}/users/{username}"
        account = Account(
            id=new_id(),
            username=username,
            username_lower=username.lower(),
            domain=domain,
            uri=uri,
            inbox_url=f"{uri}/inbox",
            fields=[],
            also_known_as=[],
        )
        async with self.runtime.db.transaction() as session:
            session.add(account)
        return account

    async def fresh(self, account: Account) -> Account:
        async with self.runtime.db.reader() as session:
            loaded = await session.get(Account, account.id)
            assert loaded is not None
            return loaded

    async def run(self, command: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """Run a service command in its own transaction, as an adapter would."""
        async with self.runtime.db.transaction() as session:
            for name, value in kwargs.items():
                if isinstance(value, Account):
                    kwargs[name] = await session.get(Account, value.id)
            return await command(session, **kwargs)

    async def read(self, query: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        async with self.runtime.db.reader() as session:
            return await query(session, *args, **kwargs)

    async def post(
        self,
        author: Account,
        text: str = "hello",
        *,
        visibility: str = Visibility.PUBLIC,
        in_reply_to: Post | None = None,
        mentions: Sequence[Account] = (),
        tags: Sequence[str] = (),
        has_media: bool = False,
    ) -> Post:
        """Write a post through create_post; `mentions` and `tags` are added to the text."""
        words = [text]
        words += [f"@{a.acct()}" for a in mentions if f"@{a.username}" not in text]
        words += [f"#{tag}" for tag in tags if f"#{tag.lower()}" not in text.lower()]
        extra: dict[str, Any] = {}
        if author.domain is not None:
            extra["uri"] = f"{author.uri}/statuses/{new_id()}"
        post: Post = await self.run(
            posts.create_post,
            ctx=self.runtime.ctx,
            author=author,
            text=" ".join(words),
            visibility=visibility,
            in_reply_to_id=None if in_reply_to is None else in_reply_to.id,
            **extra,
        )
        if has_media:  # attachments are the media domain's; timelines only read the flag
            async with self.runtime.db.transaction() as session:
                await session.execute(update(Post).where(Post.id == post.id).values(has_media=True))
            post.has_media = True
        return post

    async def echo(self, actor: Account, post: Post) -> Post:
        echo: Post = await self.run(
            posts.echo_post, ctx=self.runtime.ctx, actor=actor, post_id=post.id
        )
        return echo

    async def follow(self, follower: Account, target: Account, **kwargs: Any) -> str:
        state: str = await self.run(
            relationships.follow_account, follower=follower, target=target, **kwargs
        )
        return state

    async def bookmark(self, actor: Account, post: Post) -> None:
        await self.run(interactions.bookmark_post, actor=actor, post_id=post.id)

    async def upvote(self, actor: Account, post: Post) -> None:
        await self.run(interactions.upvote_post, actor=actor, post_id=post.id)

    async def ids(
        self,
        query: Callable[..., Awaitable[list[Any]]],
        *args: Any,
        page: PageRequest | None = None,
        **kwargs: Any,
    ) -> list[int]:
        """Post ids of a timeline page (pairs are unpacked to their post)."""
        items = await self.read(query, *args, page or PageRequest(limit=40), **kwargs)
        return [item[1].id if isinstance(item, tuple) else item.id for item in items]

    async def rows(self, model: type[T], *conditions: Any) -> list[T]:
        async with self.runtime.db.reader() as session:
            return list((await session.scalars(select(model).where(*conditions))).all())

    async def count(self, model: type[Any], *conditions: Any) -> int:
        return len(await self.rows(model, *conditions))

    async def expire_mutes(self) -> None:
        """Move every mute's expiry into the past, as time passing would."""
        async with self.runtime.db.transaction() as session:
            await session.execute(update(Mute).values(expires_at=utcnow() - timedelta(seconds=1)))
