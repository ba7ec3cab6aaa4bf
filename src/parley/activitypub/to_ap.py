"""Rendering local accounts and posts as AS2 objects (actors, Notes, Questions).

Pure functions over the domain's read models; activities that wrap these are in
parley.activitypub.activities.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.activitypub.media import render_attachment, renderable
from parley.activitypub.vocab import CONTEXT, PUBLIC
from parley.db.base import utcnow
from parley.domain import identity
from parley.domain.accounts.models import Account
from parley.domain.posts.models import Post, Visibility
from parley.domain.posts.views import PostView, hydrate


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _absolute(base_url: str, url: str | None) -> str | None:
    if not url:
        return None
    return f"{base_url}{url}" if url.startswith("/") else url


def following_url(account: Account) -> str:
    return f"{account.uri}/following"


def featured_url(account: Account) -> str:
    return f"{account.uri}/collections/featured"


def followers_url(account: Account) -> str:
    return account.followers_url or f"{account.uri}/followers"


def render_actor(
    account: Account, *, base_url: str, moved_to_uri: str | None = None
) -> dict[str, Any]:
    """A local member as a Person (Service for bots), with Mastodon's extensions.

    `moved_to_uri` is the account it moved to (see `load_actor`)."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": account.uri,
        "type": "Service" if account.bot else "Person",
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": account.note_html,
        "url": account.url or identity.account_url(base_url, account.username),
        "inbox": account.inbox_url or f"{account.uri}/inbox",
        "outbox": account.outbox_url or f"{account.uri}/outbox",
        "followers": followers_url(account),
        "following": following_url(account),
        "featured": featured_url(account),
        "endpoints": {"sharedInbox": f"{base_url}/inbox"},
        "publicKey": {
            "id": account.public_key_id or f"{account.uri}#main-key",
            "owner": account.uri,
            "publicKeyPem": account.public_key_pem or "",
        },
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "indexable": account.discoverable,
        # Mastodon shows the join date only; the time of day would say too much.
        "published": account.created_at.strftime("%Y-%m-%dT00:00:00Z"),
        "attachment": [
            {"type": "PropertyValue", "name": f["name"], "value": f.get("value_html", "")}
            for f in account.fields or []
        ],
        "tag": [],
    }
    if account.also_known_as:
        doc["alsoKnownAs"] = list(account.also_known_as)
    if moved_to_uri:
        doc["movedTo"] = moved_to_uri
    for key, url in (("icon", account.avatar_url), ("image", account.header_url)):
        absolute = _absolute(base_url, url)
        if absolute:
            doc[key] = {"type": "Image", "url": absolute}
    return doc


async def load_actor(session: AsyncSession, account: Account, *, base_url: str) -> dict[str, Any]:
    """`render_actor` with what it needs loaded (the account it moved to, if any)."""
    moved_to_uri = None
    if account.moved_to_id is not None:
        moved_to_uri = await session.scalar(
            select(Account.uri).where(Account.id == account.moved_to_id)
        )
    return render_actor(account, base_url=base_url, moved_to_uri=moved_to_uri)


def render_instance_actor(*, base_url: str, domain: str, public_key_pem: str) -> dict[str, Any]:
    """The instance itself, which signs our fetches (Mastodon's instance actor shape)."""
    uri = f"{base_url}/actor"
    return {
        "@context": CONTEXT,
        "id": uri,
        "type": "Application",
        "preferredUsername": domain,
        "name": domain,
        "url": f"{base_url}/about",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "endpoints": {"sharedInbox": f"{base_url}/inbox"},
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_key_pem},
    }


def addressing(
    visibility: str, *, followers: str, mentioned: list[str]
) -> tuple[list[str], list[str]]:
    """(to, cc) for a visibility, as Mastodon addresses it."""
    if visibility == Visibility.PUBLIC:
        return [PUBLIC], [followers, *mentioned]
    if visibility == Visibility.UNLISTED:
        return [followers], [PUBLIC, *mentioned]
    if visibility == Visibility.FOLLOWERS:
        return [followers], list(mentioned)
    return list(mentioned), []


def _question(view: PostView, doc: dict[str, Any]) -> None:
    assert view.poll is not None
    poll = view.poll.poll
    doc["type"] = "Question"
    choices = [
        {
            "type": "Note",
            "name": option["title"],
            "replies": {"type": "Collection", "totalItems": option.get("votes_count", 0)},
        }
        for option in poll.options
    ]
    doc["anyOf" if poll.multiple else "oneOf"] = choices
    doc["votersCount"] = poll.voters_count
    if poll.expires_at is not None:
        doc["endTime"] = iso(poll.expires_at)
        if poll.expires_at <= utcnow():
            doc["closed"] = iso(poll.expires_at)


def render_note(view: PostView, *, base_url: str, in_reply_to: str | None = None) -> dict[str, Any]:
    """A post as a Note (a Question when it has a poll); `in_reply_to` is the parent's URI."""
    post, author = view.post, view.account
    mentioned = [account.uri for account in view.mentions]
    to, cc = addressing(post.visibility, followers=followers_url(author), mentioned=mentioned)
    tags: list[dict[str, Any]] = [
        {"type": "Mention", "href": account.uri, "name": f"@{_acct_for(account, base_url)}"}
        for account in view.mentions
    ]
    tags += [
        {"type": "Hashtag", "href": identity.tag_url(base_url, tag.name), "name": f"#{tag.name}"}
        for tag in view.tags
    ]
    doc: dict[str, Any] = {
        "id": post.uri,
        "type": "Note",
        "summary": post.spoiler_text or None,
        "inReplyTo": in_reply_to,
        "published": iso(post.created_at),
        "url": post.url or post.uri,
        "attributedTo": author.uri,
        "to": to,
        "cc": cc,
        "sensitive": post.sensitive,
        "content": post.content_html,
        "attachment": [render_attachment(base_url, m) for m in view.attachments if renderable(m)],
        "tag": tags,
    }
    if post.language:
        doc["contentMap"] = {post.language: post.content_html}
    if post.edited_at is not None:
        doc["updated"] = iso(post.edited_at)
    if view.quote is not None:
        quoted = view.quote.post.uri
        doc["quote"] = doc["quoteUri"] = doc["_misskey_quote"] = quoted
        tags.append(
            {
                "type": "Link",
                "mediaType": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                "href": quoted,
                "name": f"RE: {quoted}",
            }
        )
    if view.poll is not None:
        _question(view, doc)
    return doc


def _acct_for(account: Account, base_url: str) -> str:
    if account.domain is not None:
        return account.acct()
    return f"{account.username}@{base_url.split('://', 1)[1]}"


async def load_note(session: AsyncSession, post: Post, *, base_url: str) -> dict[str, Any]:
    """Load what a post's Note needs (author, mentions, tags, poll, quote, parent) and render."""
    [view] = await hydrate(session, None, [post])
    parent_uri = None
    if post.in_reply_to_id is not None:
        parent_uri = await session.scalar(select(Post.uri).where(Post.id == post.in_reply_to_id))
    return render_note(view, base_url=base_url, in_reply_to=parent_uri)


def with_context(doc: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, **doc}
