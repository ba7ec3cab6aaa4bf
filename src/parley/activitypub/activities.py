"""Activities that wrap our objects: Create, Update, Delete, Announce, Like, Undo, Follow,
Accept, Reject, Block. Pure functions; ids are stable so a retried delivery is a replay."""

from __future__ import annotations

from typing import Any

from parley.activitypub.to_ap import addressing, followers_url, iso, with_context
from parley.activitypub.vocab import PUBLIC
from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.posts.models import Post, Visibility


def create(note: dict[str, Any]) -> dict[str, Any]:
    return with_context(
        {
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": note["attributedTo"],
            "published": note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
    )


def update_note(note: dict[str, Any]) -> dict[str, Any]:
    stamp = note.get("updated") or iso(utcnow())
    return with_context(
        {
            "id": f"{note['id']}#updates/{stamp}",
            "type": "Update",
            "actor": note["attributedTo"],
            "published": stamp,
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
    )


def update_actor(actor: dict[str, Any]) -> dict[str, Any]:
    stamp = iso(utcnow())
    return with_context(
        {
            "id": f"{actor['id']}#updates/{stamp}",
            "type": "Update",
            "actor": actor["id"],
            "to": [PUBLIC],
            "cc": [actor["followers"]],
            "object": actor,
        }
    )


def delete(
    *, actor: Account, object_uri: str, visibility: str, mentioned: list[str]
) -> dict[str, Any]:
    to, cc = addressing(visibility, followers=followers_url(actor), mentioned=mentioned)
    return with_context(
        {
            "id": f"{object_uri}#delete",
            "type": "Delete",
            "actor": actor.uri,
            "to": to,
            "cc": cc,
            "object": {"id": object_uri, "type": "Tombstone"},
        }
    )


def delete_actor(actor: Account) -> dict[str, Any]:
    return with_context(
        {
            "id": f"{actor.uri}#delete",
            "type": "Delete",
            "actor": actor.uri,
            "to": [PUBLIC],
            "object": actor.uri,
        }
    )


def announce(
    *, echo: Post, actor: Account, original_uri: str, original_author: str
) -> dict[str, Any]:
    """An echo; a followers-only echo (of one's own post) goes to followers only."""
    if echo.visibility == Visibility.FOLLOWERS:
        to, cc = [followers_url(actor)], [original_author]
    elif echo.visibility == Visibility.UNLISTED:
        to, cc = [followers_url(actor)], [PUBLIC, original_author]
    else:
        to, cc = [PUBLIC], [original_author, followers_url(actor)]
    return with_context(
        {
            "id": echo.uri,
            "type": "Announce",
            "actor": actor.uri,
            "published": iso(echo.created_at),
            "to": to,
            "cc": cc,
            "object": original_uri,
        }
    )


def like(*, uri: str, actor: Account, object_uri: str) -> dict[str, Any]:
    return with_context({"id": uri, "type": "Like", "actor": actor.uri, "object": object_uri})


def undo(activity: dict[str, Any]) -> dict[str, Any]:
    inner = {k: v for k, v in activity.items() if k != "@context"}
    return with_context(
        {
            # Unique per undo: following, unfollowing and following again are three acts.
            "id": f"{inner['id']}/undo/{int(utcnow().timestamp())}",
            "type": "Undo",
            "actor": inner["actor"],
            "to": inner.get("to", []),
            "cc": inner.get("cc", []),
            "object": inner,
        }
    )


def follow(*, uri: str, follower: Account, target: Account) -> dict[str, Any]:
    return with_context({"id": uri, "type": "Follow", "actor": follower.uri, "object": target.uri})


def answer_follow(
    kind: str, *, follow_uri: str, follower: Account, target: Account
) -> dict[str, Any]:
    """Accept or Reject (`kind`) of `follower`'s Follow of the local `target`."""
    stamp = int(utcnow().timestamp())
    return with_context(
        {
            "id": f"{target.uri}#{kind.lower()}s/follows/{follower.id}/{stamp}",
            "type": kind,
            "actor": target.uri,
            "object": {
                "id": follow_uri,
                "type": "Follow",
                "actor": follower.uri,
                "object": target.uri,
            },
        }
    )


def block(*, uri: str, actor: Account, target: Account) -> dict[str, Any]:
    return with_context({"id": uri, "type": "Block", "actor": actor.uri, "object": target.uri})
