"""Plain text to HTML: paragraphs, line breaks, auto-linked URLs, #hashtags and @mentions.

Members write plain text; the HTML is built here from escaped pieces only, so nothing a
member types can become markup. The output follows Mastodon's shapes (classes `mention`,
`hashtag`, `u-url`, `h-card`) so every Mastodon app renders it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

# A URL, a #tag or an @mention (user or user@domain), whichever comes first in the text.
URL_RE = r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}])"
TAG_RE = r"(?<![\w/&#])#(?P<tag>[^\W_][\w]{0,99}|_+[^\W_][\w]*)"
MENTION_RE = (
    r"(?<![\w/@])@(?P<user>[A-Za-z0-9_]{1,30})"
    r"(?:@(?P<domain>[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?|[A-Za-z0-9.-]+:\d+))?"
)
TOKEN_RE = re.compile(f"{URL_RE}|{TAG_RE}|{MENTION_RE}")
MAX_LINK_TEXT = 30


@dataclass(frozen=True, slots=True)
class MentionTarget:
    """A resolved @mention: where it links and the acct it stands for."""

    acct: str
    url: str
    username: str


@dataclass(slots=True)
class Formatted:
    html: str
    tags: list[str] = field(default_factory=list)  # lower-cased, unique, in order
    tag_display: dict[str, str] = field(default_factory=dict)  # lower -> first casing
    mentions: list[MentionTarget] = field(default_factory=list)


MentionResolver = Callable[[str, str | None], MentionTarget | None]


def mention_candidates(text: str) -> list[tuple[str, str | None]]:
    """The (username, domain) pairs @mentioned in `text`, to be resolved before rendering."""
    found: list[tuple[str, str | None]] = []
    for match in TOKEN_RE.finditer(text):
        if match.group("user"):
            pair = (match.group("user"), (match.group("domain") or None))
            if pair not in found:
                found.append(pair)
    return found


def _link_text(url: str) -> str:
    stripped = re.sub(r"^https?://(www\.)?", "", url)
    if len(stripped) <= MAX_LINK_TEXT:
        return escape(stripped)
    return (
        f'<span class="invisible">{escape(url[: len(url) - len(stripped)])}</span>'
        f'<span class="ellipsis">{escape(stripped[:MAX_LINK_TEXT])}</span>'
        f'<span class="invisible">{escape(stripped[MAX_LINK_TEXT:])}</span>'
    )


def render_text(text: str, *, tag_url: Callable[[str], str], resolve: MentionResolver) -> Formatted:
    """Render member text as Mastodon-style HTML, collecting its tags and mentions."""
    result = Formatted(html="")
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n")) if p]
    rendered: list[str] = []
    for paragraph in paragraphs:
        pieces: list[str] = []
        position = 0
        for match in TOKEN_RE.finditer(paragraph):
            pieces.append(escape(paragraph[position : match.start()]))
            position = match.end()
            if match.group("url"):
                url = match.group("url")
                pieces.append(
                    f'<a href="{escape(url)}" target="_blank" rel="nofollow noopener noreferrer">'
                    f"{_link_text(url)}</a>"
                )
            elif match.group("tag"):
                name = match.group("tag")
                lower = name.lower()
                if lower not in result.tag_display:
                    result.tags.append(lower)
                    result.tag_display[lower] = name
                pieces.append(
                    f'<a href="{escape(tag_url(lower))}" class="mention hashtag" rel="tag">'
                    f"#<span>{escape(name)}</span></a>"
                )
            else:
                target = resolve(match.group("user"), match.group("domain") or None)
                if target is None:
                    pieces.append(escape(match.group(0)))
                    continue
                if target not in result.mentions:
                    result.mentions.append(target)
                pieces.append(
                    f'<span class="h-card"><a href="{escape(target.url)}" class="u-url mention">'
                    f"@<span>{escape(target.username)}</span></a></span>"
                )
        pieces.append(escape(paragraph[position:]))
        rendered.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    result.html = "".join(rendered)
    return result
