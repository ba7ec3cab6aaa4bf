"""Broker channels, the streams clients ask for, and the messages between them.

Channel names follow Mastodon's Redis channels (`timeline:<account id>`, `timeline:public`,
`timeline:hashtag:<tag>:local`, ...). A stream is what a client subscribes to (`user`,
`hashtag` with a tag); it reads one or more channels. Messages on channels are JSON
envelopes: `event`, `payload` (a string, as sent to clients) and, on public channels,
`accounts` (who the post involves, for each client's block and mute filter) and `match` (the
post's ids and words, for each client's keyword filters in the "public" context).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.errors import NotFound
from parley.domain.oauth.scopes import covers
from parley.domain.timelines.lists import get_list
from parley.mastodon.params import parse_id

PUBLIC = "timeline:public"
PUBLIC_LOCAL = "timeline:public:local"
PUBLIC_REMOTE = "timeline:public:remote"
# Deletions of public posts, read by every public and hashtag stream (the tags of a deleted
# post are gone by the time its deletion is streamed).
PUBLIC_DELETES = "timeline:public:deleted"


def user(account_id: int) -> str:
    return f"timeline:{account_id}"


def notifications(account_id: int) -> str:
    return f"timeline:{account_id}:notifications"


def direct(account_id: int) -> str:
    return f"timeline:direct:{account_id}"


def list_channel(list_id: int) -> str:
    return f"timeline:list:{list_id}"


def hashtag(tag: str, *, local: bool = False) -> str:
    return f"timeline:hashtag:{tag.lower()}" + (":local" if local else "")


def media(channel: str) -> str:
    return channel + ":media"


def control(account_id: int) -> str:
    """Not a stream: tells the account's connections to reload their block and mute filter."""
    return f"control:{account_id}"


class FilterSubject(TypedDict):
    """What a public post offers to each reader's keyword filters (it is rendered once)."""

    post_ids: list[int]
    words: str


def envelope(
    event: str,
    payload: str,
    accounts: list[int] | None = None,
    match: FilterSubject | None = None,
) -> bytes:
    message: dict[str, Any] = {"event": event, "payload": payload}
    if accounts is not None:
        message["accounts"] = accounts
    if match is not None:
        message["match"] = match
    return orjson.dumps(message)


class StreamError(Exception):
    """A stream request refused: Mastodon's streaming errors, `{"error": ...}` with a status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


UNKNOWN_STREAM = "Unknown stream type"
NO_SCOPE = "Access token does not have the required scopes"


@dataclass(frozen=True, slots=True)
class Stream:
    """One subscription: `key` is what its messages say in `stream` (["hashtag", "cats"])."""

    key: tuple[str, ...]
    channels: tuple[str, ...]
    # Public streams carry posts rendered once for everyone; each client drops those
    # involving accounts it blocks, is blocked by or mutes.
    filtered: bool = False


# What a token needs, as in Mastodon's streaming server: the notification-only stream wants
# notifications, every other stream statuses (each covered by plain `read`).
def required_scope(name: str) -> str:
    return "read:notifications" if name == "user:notification" else "read:statuses"


def _public(name: str, base: str, only_media: bool) -> Stream:
    if only_media and not name.endswith(":media"):
        name += ":media"
    channel = media(base) if name.endswith(":media") else base
    return Stream((name,), (channel, PUBLIC_DELETES), filtered=True)


def stream_key(name: str | None, params: Mapping[str, str]) -> tuple[str, ...]:
    """What messages of the stream say in `stream`; also how unsubscribe names a stream."""
    name = (name or "").strip()
    if name in ("hashtag", "hashtag:local"):
        # The tag as asked: clients (masto) match messages on it.
        return (name, params.get("tag", ""))
    if name == "list":
        return (name, params.get("list", "").strip())
    return (name,)


async def resolve(
    session: AsyncSession,
    name: str | None,
    params: Mapping[str, str],
    *,
    account_id: int,
    scopes: list[str],
) -> Stream:
    """The stream `name` with its parameters (`tag`, `list`, `only_media`) for this account."""
    name = (name or "").strip()
    if not covers(scopes, required_scope(name)):
        raise StreamError(401, NO_SCOPE)
    only_media = params.get("only_media", "").lower() in ("1", "true")
    if name == "user":
        channels = [user(account_id)]
        if covers(scopes, "read:notifications"):
            channels.append(notifications(account_id))
        return Stream(("user",), tuple(channels))
    if name == "user:notification":
        return Stream((name,), (notifications(account_id),))
    if name == "direct":
        return Stream((name,), (direct(account_id),))
    if name in ("public", "public:media"):
        return _public(name, PUBLIC, only_media)
    if name in ("public:local", "public:local:media"):
        return _public(name, PUBLIC_LOCAL, only_media)
    if name in ("public:remote", "public:remote:media"):
        return _public(name, PUBLIC_REMOTE, only_media)
    if name in ("hashtag", "hashtag:local"):
        asked = params.get("tag", "")
        tag = asked.strip().lstrip("#")
        if not tag:
            raise StreamError(400, "No tag for stream provided")
        channel = hashtag(tag, local=name == "hashtag:local")
        # Messages name the tag as asked: clients (masto) match on it.
        return Stream((name, asked), (channel, PUBLIC_DELETES), filtered=True)
    if name == "list":
        raw = params.get("list", "").strip()
        try:
            owned = await get_list(session, account_id, parse_id(raw))  # NotFound: not an ID
        except NotFound:
            owned = None
        if owned is None:
            raise StreamError(401, "Not authorized to stream this list")
        return Stream(stream_key(name, params), (list_channel(owned.id),))
    raise StreamError(400, UNKNOWN_STREAM)
