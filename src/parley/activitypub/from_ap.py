"""Reading other servers' AS2 documents into plain data, validating as we go.

Everything here is pure: no database, no network. Text is sanitized (HTML) or reduced to
plain text (names, content warnings) on the way in, so what we store is safe to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

from parley.activitypub.markup import plain_text, sanitize_html
from parley.activitypub.media import parse_attachments
from parley.activitypub.vocab import (
    PUBLIC_ALIASES,
    as_list,
    host_of,
    id_of,
    ids_of,
    text_of,
    type_of,
)
from parley.domain.federation.service import RemoteActor
from parley.domain.media.remote import RemoteMedia

ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
POST_TYPES = frozenset({"Note", "Question", "Article", "Page"})
MAX_FIELDS = 16
MAX_CONTENT = 100_000  # characters of HTML; beyond it a post is refused, not cut


class InvalidDocument(Exception):
    """A remote document we cannot accept."""


def _http_url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("https://", "http://")) and host_of(value):
        return value
    return None


def _link(value: Any) -> str | None:
    """A URL from a string, a Link/Image object, or a list of them (first usable one)."""
    for item in as_list(value):
        if isinstance(item, str):
            found = _http_url(item)
        elif isinstance(item, dict):
            found = _http_url(item.get("href")) or _link(item.get("url"))
        else:
            found = None
        if found:
            return found
    return None


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _public_key(doc: dict[str, Any], uri: str) -> tuple[str, str]:
    for key in as_list(doc.get("publicKey")):
        if not isinstance(key, dict):
            continue
        key_id, pem = key.get("id"), key.get("publicKeyPem")
        owner = key.get("owner", uri)
        if isinstance(key_id, str) and isinstance(pem, str) and owner == uri:
            if host_of(key_id) != host_of(uri):
                raise InvalidDocument("the actor's key lives on another host")
            return key_id, pem
    raise InvalidDocument("actor has no usable publicKey")


def parse_actor(doc: dict[str, Any]) -> RemoteActor:
    uri = _http_url(doc.get("id"))
    if uri is None or type_of(doc) not in ACTOR_TYPES:
        raise InvalidDocument("not an actor")
    username = text_of(doc.get("preferredUsername")).strip()
    if not username or len(username) > 64 or any(c in username for c in "@/ \n"):
        raise InvalidDocument("actor has no usable preferredUsername")
    inbox = _http_url(doc.get("inbox"))
    if inbox is None:
        raise InvalidDocument("actor has no inbox")
    key_id, pem = _public_key(doc, uri)
    raw_endpoints = doc.get("endpoints")
    endpoints: dict[str, Any] = raw_endpoints if isinstance(raw_endpoints, dict) else {}
    fields: list[dict[str, Any]] = []
    for item in as_list(doc.get("attachment")):
        if type_of(item) == "PropertyValue" and len(fields) < MAX_FIELDS:
            value = text_of(item.get("value"))
            fields.append(
                {
                    "name": plain_text(text_of(item.get("name")))[:255],
                    "value": plain_text(value)[:2000],
                    "value_html": sanitize_html(value),
                }
            )
    return RemoteActor(
        uri=uri,
        username=username,
        domain=host_of(uri),
        inbox_url=inbox,
        shared_inbox_url=_http_url(endpoints.get("sharedInbox")),
        public_key_id=key_id,
        public_key_pem=pem,
        display_name=plain_text(text_of(doc.get("name")))[:100],
        note_html=sanitize_html(text_of(doc.get("summary"))),
        url=_link(doc.get("url")) or uri,
        outbox_url=_http_url(doc.get("outbox")),
        followers_url=_http_url(doc.get("followers")),
        locked=doc.get("manuallyApprovesFollowers") is True,
        bot=type_of(doc) in ("Service", "Application"),
        discoverable=doc.get("discoverable") is True,
        avatar_url=_link(doc.get("icon")),
        header_url=_link(doc.get("image")),
        fields=fields,
        also_known_as=[u for u in ids_of(doc.get("alsoKnownAs")) if _http_url(u)][:20],
        moved_to_uri=_http_url(id_of(doc.get("movedTo"))),
    )


@dataclass(slots=True)
class RemotePoll:
    options: list[tuple[str, int]]
    multiple: bool
    ends_at: datetime | None
    voters_count: int


@dataclass(slots=True)
class RemoteNote:
    uri: str
    author_uri: str
    content_html: str
    text: str
    url: str | None = None
    summary: str = ""
    sensitive: bool = False
    visibility: str = "direct"
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    in_reply_to: str | None = None
    quote_uri: str | None = None
    mention_uris: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # names as written, without '#'
    attachments: list[RemoteMedia] = field(default_factory=list)
    poll: RemotePoll | None = None


def visibility_of(doc: dict[str, Any], followers_url: str | None) -> str:
    """Mastodon's mapping from addressing to visibility (parley.domain's Visibility values)."""
    to, cc = ids_of(doc.get("to")), ids_of(doc.get("cc"))
    if any(a in PUBLIC_ALIASES for a in to):
        return "public"
    if any(a in PUBLIC_ALIASES for a in cc):
        return "unlisted"
    audience = to + cc
    if (followers_url and followers_url in audience) or any(
        a.endswith("/followers") for a in audience
    ):
        return "private"
    return "direct"


def _quote_uri(doc: dict[str, Any]) -> str | None:
    for key in ("quote", "quoteUri", "quoteUrl", "_misskey_quote"):
        found = _http_url(doc.get(key))
        if found:
            return found
    for tag in as_list(doc.get("tag")):  # FEP-e232 object links
        if type_of(tag) == "Link" and "activitystreams" in text_of(tag.get("mediaType")):
            found = _http_url(tag.get("href"))
            if found:
                return found
    return None


def _poll(doc: dict[str, Any]) -> RemotePoll | None:
    if type_of(doc) != "Question":
        return None
    multiple = "anyOf" in doc
    options: list[tuple[str, int]] = []
    for choice in as_list(doc.get("anyOf" if multiple else "oneOf"))[:20]:
        if not isinstance(choice, dict):
            continue
        replies = choice.get("replies")
        votes = replies.get("totalItems") if isinstance(replies, dict) else 0
        name = plain_text(text_of(choice.get("name")))[:200]
        if name:
            options.append((name, votes if isinstance(votes, int) and votes >= 0 else 0))
    if len(options) < 2:
        return None
    voters = doc.get("votersCount")
    return RemotePoll(
        options=options,
        multiple=multiple,
        ends_at=parse_datetime(doc.get("endTime") or doc.get("closed")),
        voters_count=voters if isinstance(voters, int) and voters >= 0 else 0,
    )


def parse_note(doc: dict[str, Any], *, followers_url: str | None = None) -> RemoteNote:
    """A Note (or Question, Article, Page) as a remote post; the caller checks its origin."""
    uri = _http_url(doc.get("id"))
    if uri is None or type_of(doc) not in POST_TYPES:
        raise InvalidDocument("not a post")
    author = id_of(as_list(doc.get("attributedTo"))[0] if doc.get("attributedTo") else None)
    if author is None or _http_url(author) is None:
        raise InvalidDocument("post has no author")
    content = text_of(doc.get("content"))
    content_map = doc.get("contentMap")
    language = None
    if isinstance(content_map, dict) and content_map:
        language, mapped = next(iter(content_map.items()))
        content = content or text_of(mapped)
        language = language if isinstance(language, str) and len(language) <= 16 else None
    if type_of(doc) in ("Article", "Page") and text_of(doc.get("name")):
        # Long-form posts: Mastodon shows the title and a link; so do we.
        content = f"<p>{escape(text_of(doc.get('name')))}</p>{content}"
    if len(content) > MAX_CONTENT:
        raise InvalidDocument("post is too long")
    html = sanitize_html(content)
    mentions: list[str] = []
    tags: list[str] = []
    for tag in as_list(doc.get("tag")):
        kind = type_of(tag)
        if kind == "Mention" and _http_url(tag.get("href")):
            mentions.append(tag["href"])
        elif kind == "Hashtag":
            name = text_of(tag.get("name")).lstrip("#").strip()
            if name and len(name) <= 200 and name.lower() not in (t.lower() for t in tags):
                tags.append(name)
    summary = plain_text(text_of(doc.get("summary")))[:1000]
    return RemoteNote(
        uri=uri,
        author_uri=author,
        content_html=html,
        text=plain_text(html),
        url=_link(doc.get("url")) or uri,
        summary=summary,
        sensitive=doc.get("sensitive") is True or bool(summary),
        visibility=visibility_of(doc, followers_url),
        language=language,
        published=parse_datetime(doc.get("published")),
        updated=parse_datetime(doc.get("updated")),
        in_reply_to=id_of(doc.get("inReplyTo")),
        quote_uri=_quote_uri(doc),
        mention_uris=mentions,
        tags=tags,
        poll=_poll(doc),
        attachments=parse_attachments(doc),
    )
