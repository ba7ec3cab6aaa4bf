"""What local members do, told to other servers: domain events -> activities -> publish.

Each listener takes an event's payload (see parley.domain.events), renders the activity in
one transaction and publishes it to its audience. Acts of remote accounts (applied by our
inbox) raise the same events and are skipped here: their own server tells the world.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.activitypub import activities
from parley.activitypub.delivery import publish
from parley.activitypub.federation import Federation
from parley.activitypub.flags import send_flag
from parley.activitypub.moves import move_listener
from parley.activitypub.to_ap import load_actor, load_note
from parley.domain.accounts.models import Account
from parley.domain.interactions.models import Upvote
from parley.domain.posts.models import Mention, Poll, Post, Visibility

Listener = Callable[[dict[str, Any]], Awaitable[None]]


async def _local(session: AsyncSession, account_id: int) -> Account | None:
    account = await session.get(Account, account_id)
    return account if account is not None and account.domain is None else None


async def _audience(session: AsyncSession, post: Post) -> list[int]:
    """Accounts a post is addressed to beyond followers: mentioned, replied to, quoted."""
    ids = set(await session.scalars(select(Mention.account_id).where(Mention.post_id == post.id)))
    for related in (post.in_reply_to_id, post.quote_of_id):
        if related is not None:
            author = await session.scalar(select(Post.account_id).where(Post.id == related))
            if author is not None:
                ids.add(author)
    return sorted(ids)


async def _publish_post(fed: Federation, post_id: int, *, edited: bool) -> None:
    async with fed.db.transaction() as session:
        post = await session.get(Post, post_id)
        if post is None or not post.local or post.echo_of_id is not None:
            return
        note = await load_note(session, post, base_url=fed.base_url)
        activity = activities.update_note(note) if edited else activities.create(note)
        await publish(
            session,
            activity,
            signer_id=post.account_id,
            followers_of=None if post.visibility == Visibility.MENTIONED else post.account_id,
            account_ids=await _audience(session, post),
        )


def build_listeners(fed: Federation) -> dict[str, Listener]:
    """Listeners keyed by parley.domain.events.Event names."""

    async def post_created(payload: dict[str, Any]) -> None:
        await _publish_post(fed, payload["post_id"], edited=False)

    async def post_edited(payload: dict[str, Any]) -> None:
        await _publish_post(fed, payload["post_id"], edited=True)

    async def post_deleted(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            author = await _local(session, payload["account_id"])
            if author is None:
                return
            mentioned = list(payload.get("mentioned_ids") or [])
            uris = await session.scalars(select(Account.uri).where(Account.id.in_(mentioned)))
            activity = activities.delete(
                actor=author,
                object_uri=payload["uri"],
                visibility=payload.get("visibility", Visibility.PUBLIC),
                mentioned=list(uris),
            )
            # Delete goes to every follower whatever the visibility: it reveals nothing.
            await publish(
                session,
                activity,
                signer_id=author.id,
                followers_of=author.id,
                account_ids=mentioned,
            )

    async def echo_created(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            echo = await session.get(Post, payload["post_id"])
            if echo is None or echo.echo_of_id is None:
                return
            actor = await _local(session, echo.account_id)
            original = await session.get(Post, echo.echo_of_id)
            if actor is None or original is None:
                return
            author = await session.get(Account, original.account_id)
            activity = activities.announce(
                echo=echo,
                actor=actor,
                original_uri=original.uri,
                original_author=author.uri if author else "",
            )
            await publish(
                session,
                activity,
                signer_id=actor.id,
                followers_of=actor.id,
                account_ids=[original.account_id],
            )

    async def echo_deleted(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            actor = await _local(session, payload["account_id"])
            if actor is None:
                return
            original = await session.scalar(select(Post).where(Post.uri == payload["original_uri"]))
            inner = {
                "id": payload["uri"],
                "type": "Announce",
                "actor": actor.uri,
                "object": payload["original_uri"],
            }
            await publish(
                session,
                activities.undo(inner),
                signer_id=actor.id,
                followers_of=actor.id,
                account_ids=[original.account_id] if original else [],
            )

    async def _like(payload: dict[str, Any], *, undo: bool) -> None:
        async with fed.db.transaction() as session:
            actor = await _local(session, payload["account_id"])
            post = await session.get(Post, payload["post_id"])
            if actor is None or post is None or post.local:
                return
            uri = await session.scalar(
                select(Upvote.uri).where(Upvote.account_id == actor.id, Upvote.post_id == post.id)
            )
            like = activities.like(
                uri=uri or f"{actor.uri}#upvotes/of/{post.id}", actor=actor, object_uri=post.uri
            )
            activity = activities.undo(like) if undo else like
            await publish(session, activity, signer_id=actor.id, account_ids=[post.account_id])

    async def upvote_created(payload: dict[str, Any]) -> None:
        await _like(payload, undo=False)

    async def upvote_deleted(payload: dict[str, Any]) -> None:
        await _like(payload, undo=True)

    async def profile_updated(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            account = await _local(session, payload["account_id"])
            if account is None:
                return
            actor = await load_actor(session, account, base_url=fed.base_url)
            await publish(
                session,
                activities.update_actor(actor),
                signer_id=account.id,
                followers_of=account.id,
            )

    async def account_deleted(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            account = await _local(session, payload["account_id"])
            if account is None or account.private_key_pem is None:
                return  # nothing left to sign with
            # Its follows are already gone, so tell every server we know, as Mastodon does.
            await publish(
                session, activities.delete_actor(account), signer_id=account.id, everyone=True
            )

    async def poll_voted(payload: dict[str, Any]) -> None:
        async with fed.db.transaction() as session:
            voter = await _local(session, payload["account_id"])
            poll = await session.get(Poll, payload["poll_id"])
            post = None if poll is None else await session.get(Post, poll.post_id)
            if voter is None or poll is None or post is None or post.local:
                return
            author = await session.get(Account, post.account_id)
            for choice in payload.get("choices", []):
                if not 0 <= choice < len(poll.options) or author is None:
                    continue
                vote = {
                    "id": f"{voter.uri}#votes/{poll.id}/{choice}",
                    "type": "Note",
                    "name": poll.options[choice]["title"],
                    "attributedTo": voter.uri,
                    "to": [author.uri],
                    "inReplyTo": post.uri,
                }
                activity = activities.create({**vote, "published": _now(), "cc": []})
                await publish(session, activity, signer_id=voter.id, account_ids=[author.id])

    async def report_filed(payload: dict[str, Any]) -> None:
        await send_flag(fed, payload["report_id"])

    return {
        "post.created": post_created,
        "post.edited": post_edited,
        "post.deleted": post_deleted,
        "echo.created": echo_created,
        "echo.deleted": echo_deleted,
        "upvote.created": upvote_created,
        "upvote.deleted": upvote_deleted,
        "account.updated": profile_updated,
        "account.deleted": account_deleted,
        "poll.voted": poll_voted,
        "report.filed": report_filed,
        "account.moved": move_listener(fed),
        **_relationship_listeners(fed),
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _relationship_listeners(fed: Federation) -> dict[str, Listener]:
    """Follow, Accept, Reject, Undo Follow, Block, Undo Block: sent by the local side only.

    Payloads carry `account_id` (follower or blocker), `target_id` and `uri` (the Follow or
    Block activity id: ours for local actors, the remote one for remote followers).
    """

    def listener(kind: str, *, local_is_target: bool) -> Listener:
        async def send(payload: dict[str, Any]) -> None:
            async with fed.db.transaction() as session:
                one = await session.get(Account, payload["account_id"])
                other = await session.get(Account, payload["target_id"])
                if one is None or other is None:
                    return
                local, remote = (other, one) if local_is_target else (one, other)
                if local.domain is not None or remote.domain is None:
                    return
                uri = payload.get("uri") or f"{one.uri}#{kind.lower()}s/unknown"
                await publish(
                    session,
                    _relationship_activity(kind, one=one, other=other, uri=uri),
                    signer_id=local.id,
                    account_ids=[remote.id],
                )

        return send

    return {
        "follow.requested": listener("Follow", local_is_target=False),
        "follow.undone": listener("Undo Follow", local_is_target=False),
        "follow.accepted": listener("Accept", local_is_target=True),
        "follow.rejected": listener("Reject", local_is_target=True),
        "block.created": listener("Block", local_is_target=False),
        "block.deleted": listener("Undo Block", local_is_target=False),
    }


def _relationship_activity(kind: str, *, one: Account, other: Account, uri: str) -> dict[str, Any]:
    """`one` follows or blocks `other`; `uri` is that Follow's or Block's id."""
    if kind in ("Accept", "Reject"):
        return activities.answer_follow(kind, follow_uri=uri, follower=one, target=other)
    if kind.endswith("Follow"):
        follow = activities.follow(uri=uri, follower=one, target=other)
        return activities.undo(follow) if kind.startswith("Undo") else follow
    block = activities.block(uri=uri, actor=one, target=other)
    return activities.undo(block) if kind.startswith("Undo") else block
