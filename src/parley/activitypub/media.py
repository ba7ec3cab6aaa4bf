"""Attachments as ActivityStreams Documents, out and in (Mastodon's shape, which others read).

Out: a Document per ready attachment with its URL, type, alt text (`name`), blurhash,
focal point and size. In: the same fields read defensively; the files themselves are fetched
later, through the size-limited proxy (parley.domain.media.remote), never here.
"""

from __future__ import annotations

import math
from typing import Any

from parley.activitypub.vocab import as_list, text_of, type_of
from parley.domain.media.models import MediaAttachment, MediaKind, MediaState
from parley.domain.media.remote import RemoteMedia

TYPES = {MediaKind.IMAGE: "Image", MediaKind.VIDEO: "Video", MediaKind.GIFV: "Video"}
ATTACHMENT_TYPES = frozenset({"Document", "Image", "Video", "Audio"})


def render_attachment(base_url: str, media: MediaAttachment) -> dict[str, Any]:
    url = media.remote_url if media.remote_url is not None else f"{base_url}/media/{media.file_key}"
    doc: dict[str, Any] = {
        # Mastodon sends Document for every kind; others dispatch on mediaType.
        "type": "Document",
        "mediaType": media.content_type or "application/octet-stream",
        "url": url,
        "name": media.description or None,
        "blurhash": media.blurhash,
        "focalPoint": [media.focus_x, media.focus_y],
    }
    if media.width and media.height:
        doc["width"], doc["height"] = media.width, media.height
    return doc


def renderable(media: MediaAttachment) -> bool:
    return media.state == MediaState.READY and (media.file_key or media.remote_url) is not None


def _dimension(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 < value < 100_000 else None


def _focus(value: Any) -> tuple[float, float]:
    if isinstance(value, list) and len(value) == 2:
        x, y = value
        if all(isinstance(v, int | float) and math.isfinite(v) and -1 <= v <= 1 for v in (x, y)):
            return float(x), float(y)
    return 0.0, 0.0


def _url(value: Any) -> tuple[str | None, str]:
    """The href (and a media type found beside it) of `url`, which may be a Link or a list."""
    for item in as_list(value):
        if isinstance(item, str) and item.startswith(("https://", "http://")):
            return item, ""
        if isinstance(item, dict):
            href = item.get("href")
            if isinstance(href, str) and href.startswith(("https://", "http://")):
                return href, text_of(item.get("mediaType"))
    return None, ""


def parse_attachments(doc: dict[str, Any]) -> list[RemoteMedia]:
    found: list[RemoteMedia] = []
    for item in as_list(doc.get("attachment")):
        if not isinstance(item, dict) or type_of(item) not in ATTACHMENT_TYPES:
            continue  # PropertyValue and other non-media attachments
        url, link_type = _url(item.get("url"))
        if url is None or len(url) > 2000:
            continue
        blurhash = text_of(item.get("blurhash"))
        found.append(
            RemoteMedia(
                url=url,
                media_type=(text_of(item.get("mediaType")) or link_type)[:100],
                ap_type=type_of(item) or "Document",
                description=text_of(item.get("name") or item.get("summary")),
                blurhash=blurhash if 0 < len(blurhash) <= 100 else None,
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
                focus=_focus(item.get("focalPoint")),
            )
        )
    return found
