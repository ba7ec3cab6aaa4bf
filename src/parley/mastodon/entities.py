"""Mastodon API entities, rendered from domain objects (never from protocol code on models).

Every entity is a plain dict ready for orjson; IDs are strings, times ISO 8601 in UTC with
milliseconds, as Mastodon writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from parley.domain.accounts.models import Account, Role, User
from parley.domain.instance.models import Rule
from parley.domain.media.models import MediaAttachment, MediaState
from parley.domain.moderation.models import Appeal, Strike
from parley.domain.notifications.models import Marker, Notification, NotificationType
from parley.domain.oauth.models import OAuthApplication
from parley.domain.oauth.service import IssuedToken
from parley.domain.posts.models import Post, PostEdit
from parley.domain.posts.views import PollView, PostView
from parley.domain.relationships.queries import Relationship
from parley.domain.tags.history import TagDay
from parley.domain.timelines.models import List

Entity = dict[str, Any]
MISSING_AVATAR = "/avatars/original/missing.png"
MISSING_HEADER = "/headers/original/missing.png"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.year < 1000:  # strftime writes such a year unpadded: keep its exact output
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    # Formatted by hand: strftime is a third of rendering a status.
    return (
        f"{value.year}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
        f"{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def day(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value is not None else None


def account(base_url: str, acc: Account, *, moved_to: Account | None = None) -> Entity:
    """`moved_to` (see parley.domain.portability.queries) fills Mastodon's `moved`."""
    avatar = acc.avatar_url or f"{base_url}{MISSING_AVATAR}"
    header = acc.header_url or f"{base_url}{MISSING_HEADER}"
    created = acc.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "id": str(acc.id),
        "username": acc.username,
        "acct": acc.acct(),
        "display_name": acc.display_name,
        "locked": acc.locked,
        "bot": acc.bot,
        "discoverable": acc.discoverable,
        "indexable": acc.discoverable,
        "group": False,
        "hide_collections": False,
        # Mastodon reports the day an account was created, not the moment.
        "created_at": iso(created),
        "note": acc.note_html,
        "url": acc.url or acc.uri,
        "uri": acc.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": acc.followers_count,
        "following_count": acc.following_count,
        "statuses_count": acc.posts_count,
        "last_status_at": day(acc.last_post_at),
        "emojis": [],
        "roles": [] if acc.is_local else None,
        "fields": [
            {
                "name": escape(f.get("name", ""), quote=False),
                "value": f.get("value_html") or escape(f.get("value", ""), quote=False),
                "verified_at": None,
            }
            for f in acc.fields or []
        ],
        **({"moved": account(base_url, moved_to)} if moved_to is not None else {}),
    }


ROLE_NAMES = {Role.OWNER: "Owner", Role.ADMIN: "Admin", Role.MODERATOR: "Moderator"}


def credential_account(
    base_url: str,
    acc: Account,
    user: User,
    *,
    follow_requests_count: int,
    moved_to: Account | None = None,
) -> Entity:
    entity = account(base_url, acc, moved_to=moved_to)
    entity["source"] = {
        "note": acc.note,
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
            for f in acc.fields or []
        ],
        "privacy": user.default_visibility,
        "sensitive": user.default_sensitive,
        "language": user.default_language,
        "follow_requests_count": follow_requests_count,
        "indexable": acc.discoverable,
        "discoverable": acc.discoverable,
        "hide_collections": False,
    }
    # Parley has no Mastodon admin API, so no role carries permissions here.
    entity["role"] = {
        "id": "-99" if user.role == Role.MEMBER else str(Role.ALL.index(user.role) + 1),
        "name": ROLE_NAMES.get(user.role, ""),
        "permissions": "0",
        "color": "",
        "highlighted": user.role != Role.MEMBER,
    }
    return entity


def application(app: OAuthApplication, *, client_secret: str | None = None) -> Entity:
    uris = app.redirect_uris.split("\n")
    entity: Entity = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": uris,
        # No vapid_key: Parley has no Web Push, and a key would invite subscriptions.
    }
    if client_secret is not None:
        entity["client_id"] = app.client_id
        entity["client_secret"] = client_secret
        entity["client_secret_expires_at"] = 0
    return entity


def token(issued: IssuedToken) -> Entity:
    return {
        "access_token": issued.secret,
        "token_type": "Bearer",
        "scope": issued.access.scopes,
        "created_at": int(issued.access.created_at.timestamp()),
    }


def rule(r: Rule) -> Entity:
    return {"id": str(r.id), "text": r.text, "hint": r.hint}


def relationship(rel: Relationship) -> Entity:
    return {
        "id": str(rel.id),
        "following": rel.following,
        "showing_reblogs": rel.showing_echoes,
        "notifying": rel.notifying,
        "followed_by": rel.followed_by,
        "blocking": rel.blocking,
        "blocked_by": rel.blocked_by,
        "muting": rel.muting,
        "muting_notifications": rel.muting_notifications,
        "requested": rel.requested,
        "requested_by": rel.requested_by,
        "domain_blocking": rel.domain_blocking,
        "endorsed": rel.endorsed,
        "note": rel.note,
        "languages": None,
    }


# Domain notification types -> Mastodon's (a comment on one's post is a "mention" there).
NOTIFICATION_TYPES = {
    NotificationType.MENTION: "mention",
    NotificationType.COMMENT: "mention",
    NotificationType.ECHO: "reblog",
    NotificationType.QUOTE: "quote",
    NotificationType.UPVOTE: "favourite",
    NotificationType.FOLLOW: "follow",
    NotificationType.FOLLOW_REQUEST: "follow_request",
    NotificationType.POLL_ENDED: "poll",
    NotificationType.POST_EDITED: "update",
    NotificationType.MODERATION_WARNING: "moderation_warning",
}


def domain_notification_types(names: list[str]) -> list[str]:
    """Mastodon type names (from types[] / exclude_types[]) as domain types."""
    return [d for d, m in NOTIFICATION_TYPES.items() if m in names]


def poll(view: PollView, *, signed_in: bool) -> Entity:
    p = view.poll
    entity: Entity = {
        "id": str(p.id),
        "expires_at": iso(p.expires_at),
        "expired": view.expired,
        "multiple": p.multiple,
        "votes_count": p.votes_count,
        "voters_count": p.voters_count if p.multiple else None,
        "options": [
            {"title": o["title"], "votes_count": o.get("votes_count", 0)} for o in p.options
        ],
        "emojis": [],
    }
    if signed_in:
        entity["voted"] = view.voted
        entity["own_votes"] = list(view.own_choices)
    return entity


# Account entities already rendered for one response, by account ID: a page of statuses has
# few distinct authors, and each is rendered once (the same dict appears in each status).
Rendered = dict[int, Entity]


def _author(base_url: str, v: PostView, rendered: Rendered | None) -> Entity:
    if rendered is None:
        return account(base_url, v.account, moved_to=v.account_moved_to)
    found = rendered.get(v.account.id)
    if found is None:
        found = rendered[v.account.id] = account(base_url, v.account, moved_to=v.account_moved_to)
    return found


def _own_status(
    base_url: str, v: PostView, *, signed_in: bool, rendered: Rendered | None = None
) -> Entity:
    post = v.post
    entity: Entity = {
        "id": str(post.id),
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(post.in_reply_to_account_id) if post.in_reply_to_account_id else None
        ),
        "sensitive": post.sensitive,
        "spoiler_text": post.spoiler_text,
        "visibility": post.visibility,
        "language": post.language,
        "uri": post.uri,
        "url": post.url or post.uri,
        "replies_count": post.replies_count,
        "reblogs_count": post.echoes_count,
        "favourites_count": post.upvotes_count,
        "quotes_count": post.quotes_count,
        "content": post.content_html,
        "reblog": None,
        "application": {"name": post.application, "website": None} if post.application else None,
        "account": _author(base_url, v, rendered),
        "media_attachments": [media_attachment(base_url, m) for m in v.attachments],
        "mentions": [
            {"id": str(m.id), "username": m.username, "acct": m.acct(), "url": m.url or m.uri}
            for m in v.mentions
        ],
        "tags": [{"name": t.name, "url": tag_url(base_url, t.name)} for t in v.tags],
        "emojis": [],
        "card": None,
        "poll": poll(v.poll, signed_in=signed_in) if v.poll is not None else None,
    }
    if v.quote is not None:
        quoted = status(base_url, v.quote, rendered=rendered)
        entity["quote"] = {"state": "accepted", "quoted_status": quoted}
    elif v.quote_hidden:
        entity["quote"] = {"state": "unauthorized", "quoted_status": None}
    return entity


def _meta(width: int | None, height: int | None) -> Entity | None:
    if not width or not height:
        return None
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def media_attachment(base_url: str, m: MediaAttachment) -> Entity:
    """A MediaAttachment; `url` is null while processing (clients poll GET until it is set)."""
    media_base = f"{base_url}/media"
    if m.remote_url is not None:
        url: str | None = f"{media_base}/remote/{m.id}"
        preview: str | None = url
    elif m.state == MediaState.READY and m.file_key:
        url = f"{media_base}/{m.file_key}"
        preview = f"{media_base}/{m.small_key}" if m.small_key else url
    else:
        url = preview = None
    meta: Entity = {"focus": {"x": m.focus_x, "y": m.focus_y}}
    if (original := _meta(m.width, m.height)) is not None:
        if m.duration is not None:
            original["duration"] = m.duration
        meta["original"] = original
    if (small := _meta(m.small_width, m.small_height)) is not None:
        meta["small"] = small
    return {
        "id": str(m.id),
        "type": m.kind,
        "url": url,
        "preview_url": preview,
        "remote_url": m.remote_url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": m.description or None,
        "blurhash": m.blurhash,
    }


def status(
    base_url: str,
    v: PostView,
    *,
    viewer_id: int | None = None,
    rendered: Rendered | None = None,
) -> Entity:
    """A Status; an echo wraps the echoed post in `reblog`, as Mastodon's reblogs do.
    Statuses of one response share `rendered` (see Rendered)."""
    signed_in = viewer_id is not None
    entity = _own_status(base_url, v, signed_in=signed_in, rendered=rendered)
    if v.echo_of is not None:
        entity["reblog"] = status(base_url, v.echo_of, viewer_id=viewer_id, rendered=rendered)
    if signed_in:
        shown = v.shown
        entity["favourited"] = shown.upvoted
        entity["reblogged"] = shown.echoed
        entity["bookmarked"] = shown.bookmarked
        entity["muted"] = shown.muted
        if shown.account.id == viewer_id:
            entity["pinned"] = shown.pinned
    return entity


def deleted_status(base_url: str, v: PostView) -> Entity:
    """What DELETE answers: the status with its source `text`, for "delete and redraft"."""
    entity = _own_status(base_url, v, signed_in=True)
    del entity["content"]
    entity["text"] = v.post.text
    return entity


def status_source(post: Post) -> Entity:
    return {"id": str(post.id), "text": post.text, "spoiler_text": post.spoiler_text}


def status_edit(
    base_url: str, edit: PostEdit, author: Account, *, moved_to: Account | None = None
) -> Entity:
    """`moved_to`: the account `author` moved to, as for `account`."""
    return {
        "content": edit.content_html,
        "spoiler_text": edit.spoiler_text,
        "sensitive": edit.sensitive,
        "created_at": iso(edit.created_at),
        "account": account(base_url, author, moved_to=moved_to),
        "poll": (
            {"options": [{"title": title} for title in edit.poll_options]}
            if edit.poll_options
            else None
        ),
        "media_attachments": [],
        "emojis": [],
    }


def tag_url(base_url: str, name: str) -> str:
    return f"{base_url}/tags/{name}"


def tag(base_url: str, name: str, history: Sequence[TagDay] = ()) -> Entity:
    return {"name": name, "url": tag_url(base_url, name), "history": tag_history(history)}


def tag_history(days: Sequence[TagDay]) -> list[Entity]:
    """Mastodon's Tag `history`: newest day first, every number as a string."""
    return [
        {
            "day": str(int(d.day.timestamp())),
            "uses": str(d.uses),
            "accounts": str(d.accounts),
        }
        for d in days
    ]


def notification(
    base_url: str,
    n: Notification,
    from_account: Account,
    post: Entity | None,
    moderation_warning: Entity | None = None,
    *,
    moved_to: Account | None = None,
) -> Entity:
    """`moved_to`: the account `from_account` moved to, as for `account`."""
    entity: Entity = {
        "id": str(n.id),
        "type": NOTIFICATION_TYPES.get(n.type, n.type),
        "created_at": iso(n.created_at),
        "group_key": f"ungrouped-{n.id}",
        "account": account(base_url, from_account, moved_to=moved_to),
    }
    if post is not None:
        entity["status"] = post
    if moderation_warning is not None:
        entity["moderation_warning"] = moderation_warning
    return entity


# Mastodon's AccountWarning actions, for Parley's strike kinds.
WARNING_ACTIONS = {
    "warn": "none",
    "freeze": "disable",
    "mark_sensitive": "mark_statuses_as_sensitive",
    "add_content_warning": "mark_statuses_as_sensitive",
    "delete_post": "delete_statuses",
    "limit": "silence",
    "suspend": "suspend",
}


def account_warning(
    base_url: str,
    strike: Strike,
    target: Account,
    appeal: Appeal | None,
    *,
    moved_to: Account | None = None,
) -> Entity:
    """Mastodon's AccountWarning: the action, the moderators' text, the posts, the appeal."""
    state = None
    if appeal is not None:
        state = (
            "pending"
            if appeal.decided_at is None
            else "approved"
            if appeal.approved
            else "rejected"
        )
    return {
        "id": str(strike.id),
        "action": WARNING_ACTIONS.get(strike.kind, "none"),
        "text": strike.reason,
        "status_ids": [str(i) for i in strike.post_ids] or None,
        "target_account": account(base_url, target, moved_to=moved_to),
        "appeal": None if appeal is None else {"text": appeal.text, "state": state},
        "created_at": iso(strike.created_at),
    }


def list_entity(lst: List) -> Entity:
    return {
        "id": str(lst.id),
        "title": lst.title,
        "replies_policy": lst.replies_policy,
        "exclusive": lst.exclusive,
    }


def marker(m: Marker) -> Entity:
    return {
        "last_read_id": str(m.last_read_id),
        "version": m.version,
        "updated_at": iso(m.updated_at),
    }
