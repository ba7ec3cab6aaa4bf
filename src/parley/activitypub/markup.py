"""HTML from other servers, cleaned to a strict allowlist before we store or show it."""

from __future__ import annotations

import html
import re

import nh3

TAGS = {"p", "br", "a", "span", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre"}
# Only the microformat and layout classes Mastodon-style HTML uses; anything else is dropped.
CLASSES = {
    "a": {"mention", "hashtag", "u-url", "status-link", "unhandled-link"},
    "span": {"h-card", "invisible", "ellipsis"},
}
LINK_REL = "nofollow noopener noreferrer"


def sanitize_html(value: str) -> str:
    """Keep structure, links and mentions; drop scripts, styles, handlers and other schemes."""
    return nh3.clean(
        value,
        tags=TAGS,
        attributes={"a": {"href"}},
        allowed_classes=CLASSES,
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
        strip_comments=True,
    )


def plain_text(value: str) -> str:
    """Plain text of an HTML fragment (for names and content warnings, which are not HTML)."""
    text = nh3.clean(re.sub(r"<br\s*/?>|</p>", "\n", value, flags=re.I), tags=set())
    return html.unescape(text).strip()


def text_to_html(value: str) -> str:
    """Escape plain text for places that hold HTML (a profile field value given as text)."""
    return html.escape(value)
