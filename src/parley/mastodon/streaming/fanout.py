"""Who gets which streaming message when something happens, rendered for them.

A stream shows what the matching timeline would show: a post goes to a member's user stream
only if `home_timeline` would list it for them now, to a list stream only if
`list_timeline` would, to public and hashtag streams only if the anonymous
`public_timeline` / `tag_timeline` would. So visibility, blocks, mutes, hidden echoes and
exclusive lists are decided by the one rule in the domain, never again here.

Work is done only for channels someone listens to (`Broker.listening`): rendering per
recipient (their own favourited / reblogged / bookmarked flags, as Mastodon does) costs
queries, so it is skipped for the many followers who have no stream open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.engine import Database
from parley.domain.accounts.models import Account
from parley.domain.errors import NotFound
from parley.domain.filters.queries import words_of
from parley.domain.notifications.models import Notification
from parley.domain.notifications.queries import get_notification
from parley.domain.pagination import PageRequest
from parley.domain.portability.queries import moved_targets, moved_to_in
from parley.domain.posts.models import Post, PostTag, Tag, Visibility
from parley.domain.posts.views import hydrate
from parley.domain.relationships.models import Follow
from parley.domain.timelines import queries as timelines
from parley.domain.timelines.models import FeedEntry, List, ListMember
from parley.infra.pubsub import Broker
from parley.mastodon import entities
from parley.mastodon.routes.notifications import render_notifications
from parley.mastodon.streaming import channels as ch
from parley.mastodon.views import render_statuses

UPDATE = "update"
STATUS_UPDATE = "status.update"


def _only(post: Post) -> PageRequest:
    """A page that can hold only `post`: "would this timeline list it?" in one query."""
    return PageRequest(max_id=post.id + 1, since_id=post.id - 1, limit=1)


def _json(entity: entities.Entity) -> str:
    return orjson.dumps(entity).decode()


@dataclass(slots=True)
class Fanout:
    db: Database
    base_url: str
    broker: Callable[[], Broker | None]

    async def _listening(self, broker: Broker, wanted: Sequence[str]) -> set[str]:
        return await broker.listening(list(dict.fromkeys(wanted))) if wanted else set()

    async def post(self, post_id: int, *, event: str = UPDATE) -> None:
        """A new post or echo (`update`), or an edited post (`status.update`)."""
        broker = self.broker()
        if broker is None:
            return
        async with self.db.reader() as session:
            post = await session.get(Post, post_id)
            if post is None:
                return
            await self._home(session, broker, post, event)
            await self._lists(session, broker, post, event)
            await self._public(session, broker, post, event)
            if event == UPDATE and post.visibility == Visibility.MENTIONED:
                await self._direct(session, broker, post)

    async def _filtered(
        self, session: AsyncSession, account_id: int, post: Post, context: str
    ) -> entities.Entity | None:
        """The status as `account_id` sees it in `context`, with their filters applied:
        None when a "hide" filter matches, else `filtered` holds what "warn" filters matched."""
        rendered = await render_statuses(
            session, self.base_url, account_id, [post], filter_context=context
        )
        return rendered[0] if rendered else None

    async def _home(self, session: AsyncSession, broker: Broker, post: Post, event: str) -> None:
        owners = list(
            await session.scalars(select(FeedEntry.account_id).where(FeedEntry.post_id == post.id))
        )
        listening = await self._listening(broker, [ch.user(a) for a in owners])
        for account_id in owners:
            if ch.user(account_id) in listening and await timelines.home_timeline(
                session, account_id, _only(post)
            ):
                status = await self._filtered(session, account_id, post, "home")
                if status is not None:
                    await broker.publish(ch.user(account_id), ch.envelope(event, _json(status)))

    async def _lists(self, session: AsyncSession, broker: Broker, post: Post, event: str) -> None:
        """Lists whose owner got the post at home from one of the list's members."""
        rows = (
            await session.execute(
                select(List.id, List.account_id)
                .join(ListMember, ListMember.list_id == List.id)
                .join(
                    FeedEntry,
                    and_(
                        FeedEntry.account_id == List.account_id,
                        FeedEntry.author_id == ListMember.account_id,
                    ),
                )
                .where(FeedEntry.post_id == post.id)
            )
        ).all()
        listening = await self._listening(broker, [ch.list_channel(i) for i, _ in rows])
        for list_id, owner_id in rows:
            channel = ch.list_channel(list_id)
            if channel not in listening:
                continue
            if await timelines.list_timeline(session, owner_id, list_id, _only(post)):
                # Lists are read in the "home" filter context, as in Mastodon.
                status = await self._filtered(session, owner_id, post, "home")
                if status is not None:
                    await broker.publish(channel, ch.envelope(event, _json(status)))

    async def _public(self, session: AsyncSession, broker: Broker, post: Post, event: str) -> None:
        """Public streams get the post rendered once, for no one in particular (as Mastodon)."""
        if post.visibility != Visibility.PUBLIC or post.echo_of_id is not None:
            return
        origin = ch.PUBLIC_LOCAL if post.local else ch.PUBLIC_REMOTE
        wide = [ch.PUBLIC, origin]
        tags = list(
            await session.scalars(
                select(Tag.name)
                .join(PostTag, PostTag.tag_id == Tag.id)
                .where(PostTag.post_id == post.id)
            )
        )
        tagged = [ch.hashtag(t) for t in tags]
        if post.local:
            tagged += [ch.hashtag(t, local=True) for t in tags]
        if post.has_media:
            wide += [ch.media(c) for c in wide]
        listening = await self._listening(broker, wide + tagged)
        if not listening:
            return
        targets = []
        wide_listening = [c for c in wide if c in listening]
        if wide_listening and await timelines.public_timeline(session, None, _only(post)):
            targets += wide_listening
        for tag in tags:
            for local in (False, True):
                channel = ch.hashtag(tag, local=local)
                if channel in listening and await timelines.tag_timeline(
                    session, None, tag, _only(post), local=local
                ):
                    targets.append(channel)
        if not targets:
            return
        (view,) = await hydrate(session, None, [post])
        status = entities.status(self.base_url, view, viewer_id=None)
        accounts = [post.account_id]
        if post.in_reply_to_account_id is not None:
            accounts.append(post.in_reply_to_account_id)
        # What each connection matches its member's "public" filters against.
        match = ch.FilterSubject(post_ids=[post.id], words=words_of(view))
        message = ch.envelope(event, _json(status), accounts, match)
        for channel in targets:
            await broker.publish(channel, message)

    async def _direct(self, session: AsyncSession, broker: Broker, post: Post) -> None:
        """A mentioned-only post, as Mastodon's `conversation` event to each participant.

        Parley keeps no conversation rows; the conversation's id is the thread's root.
        """
        (anonymous,) = await hydrate(session, None, [post])
        people = {anonymous.account.id: anonymous.account}
        people.update({a.id: a for a in anonymous.mentions})
        local = [a.id for a in people.values() if a.domain is None]
        listening = await self._listening(broker, [ch.direct(a) for a in local])
        moved = await moved_targets(session, people.values()) if listening else {}
        for account_id in local:
            channel = ch.direct(account_id)
            if channel not in listening:
                continue
            shown = await session.scalar(
                select(Post.id).where(Post.id == post.id, timelines.shown_to(account_id))
            )
            if shown is None:
                continue
            status = await self._filtered(session, account_id, post, "thread")
            if status is None:
                continue
            conversation = {
                "id": str(post.thread_id or post.id),
                "unread": account_id != post.account_id,
                "accounts": [
                    entities.account(
                        self.base_url,
                        a,
                        moved_to=moved_to_in(a, moved),
                    )
                    for a in people.values()
                    if a.id != account_id
                ],
                "last_status": status,
            }
            await broker.publish(channel, ch.envelope("conversation", _json(conversation)))

    async def deleted(
        self,
        post_id: int,
        *,
        author_id: int,
        visibility: str,
        mentioned_ids: Sequence[int] = (),
    ) -> None:
        """`delete` to whoever may have had the post: the author, local followers (unless it
        was mentioned-only), the mentioned, their lists, and public streams if it was public.

        The post and its feed entries are gone; an id sent to someone who never saw it is
        ignored by clients, as with Mastodon.
        """
        broker = self.broker()
        if broker is None:
            return
        async with self.db.reader() as session:
            candidates = {author_id, *mentioned_ids}
            if visibility != Visibility.MENTIONED:
                candidates.update(
                    await session.scalars(
                        select(Follow.account_id).where(Follow.target_id == author_id)
                    )
                )
            local = set(
                await session.scalars(
                    select(Account.id).where(Account.id.in_(candidates), Account.domain.is_(None))
                )
            )
            lists = await session.execute(
                select(List.id, List.account_id)
                .join(ListMember, ListMember.list_id == List.id)
                .where(ListMember.account_id == author_id)
            )
            wanted = [ch.user(a) for a in sorted(local)]
            wanted += [ch.list_channel(i) for i, owner in lists if owner in local]
            if visibility == Visibility.PUBLIC:
                wanted.append(ch.PUBLIC_DELETES)
        message = ch.envelope("delete", str(post_id))
        for channel in await self._listening(broker, wanted):
            await broker.publish(channel, message)

    async def notifications(self, notification_ids: Sequence[int]) -> None:
        """`notification` on each recipient's notification channel, if still listable."""
        broker = self.broker()
        if broker is None or not notification_ids:
            return
        async with self.db.reader() as session:
            for notification_id in notification_ids:
                await self._notification(session, broker, notification_id)

    async def _notification(
        self, session: AsyncSession, broker: Broker, notification_id: int
    ) -> None:
        found = await session.get(Notification, notification_id)
        if found is None:
            return
        channel = ch.notifications(found.account_id)
        if not await broker.listening([channel]):
            return
        try:
            # Checked again at send time: the actor may have been blocked meanwhile.
            found = await get_notification(session, found.account_id, notification_id)
        except NotFound:
            return
        rendered = await render_notifications(
            session, self.base_url, found.account_id, [found], apply_filters=True
        )
        for entity in rendered:
            await broker.publish(channel, ch.envelope("notification", _json(entity)))

    async def filters_changed(self, *account_ids: int) -> None:
        """Tell the accounts' open connections to reload whom they block and mute."""
        broker = self.broker()
        if broker is None:
            return
        for channel in await self._listening(broker, [ch.control(a) for a in account_ids]):
            await broker.publish(channel, b"{}")
