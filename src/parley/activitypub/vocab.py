"""ActivityStreams vocabulary: contexts, media types, and small readers for AS2 values."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Other spellings of Public that compact JSON-LD processors produce.
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

AS2 = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
CONTENT_TYPE = "application/activity+json; charset=utf-8"
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON}"

# Mastodon's extensions, so Mastodon and its kin read our fields (locked, featured, ...).
EXTENSIONS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "quoteUri": "fedibird:quoteUri",
    "_misskey_quote": "misskey:_misskey_quote",
    "toot": "http://joinmastodon.org/ns#",
    "misskey": "https://misskey-hub.net/ns#",
    "fedibird": "http://fedibird.com/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "votersCount": "toot:votersCount",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}
CONTEXT: list[Any] = [AS2, SECURITY, EXTENSIONS]


def is_as2_media_type(value: str) -> bool:
    """Whether a Content-Type (or one Accept entry) names an ActivityStreams document."""
    media, _, params = value.partition(";")
    media = media.strip().lower()
    if media == ACTIVITY_JSON:
        return True
    return media == "application/ld+json" and "activitystreams" in params


def accepts_as2(accept: str) -> bool:
    """Whether an Accept header asks for AS2 (ld+json counts even without the profile)."""
    for entry in accept.split(","):
        media = entry.split(";", 1)[0].strip().lower()
        if media in (ACTIVITY_JSON, "application/ld+json"):
            return True
    return False


def host_of(uri: str) -> str:
    """The host (with port when not the default) of a URI, lower-cased; '' if none."""
    try:
        parts = urlsplit(uri)
        return (parts.netloc.rsplit("@", 1)[-1]).lower()
    except ValueError:
        return ""


def same_origin(a: str, b: str) -> bool:
    return bool(host_of(a)) and host_of(a) == host_of(b)


def id_of(value: Any) -> str | None:
    """The id of a value that is either a URI string or an object with an id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ids_of(value: Any) -> list[str]:
    return [i for i in (id_of(v) for v in as_list(value)) if i]


def type_of(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, list):
            kind = kind[0] if kind else ""
        return kind if isinstance(kind, str) else ""
    return ""


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""
