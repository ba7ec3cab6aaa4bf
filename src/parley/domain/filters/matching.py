"""Which of a member's filters a post matches: one pure function every adapter uses.

Keywords match case-insensitively anywhere in the post's words (text, content warning, poll
options, media descriptions). A whole-word keyword must not be part of a longer word; as in
Mastodon, the word-boundary check applies only at an end where the keyword itself starts or
ends with a word character (so "#tag" or "c++" still match).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class ActiveFilter:
    """A filter as matching needs it, loaded once per request (see queries.active_filters)."""

    id: int
    title: str
    context: tuple[str, ...]
    action: str
    expires_at: datetime | None
    keywords: tuple[tuple[str, bool], ...] = ()  # (keyword, whole_word)
    post_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class FilterMatch:
    filter: ActiveFilter
    keyword_matches: list[str] = field(default_factory=list)
    status_matches: list[int] = field(default_factory=list)


@lru_cache(maxsize=1024)
def keyword_pattern(keyword: str, whole_word: bool) -> re.Pattern[str]:
    escaped = re.escape(keyword)
    if whole_word:
        start = r"\b" if re.match(r"\w", keyword) else ""
        end = r"\b" if re.search(r"\w$", keyword) else ""
        escaped = f"{start}{escaped}{end}"
    return re.compile(escaped, re.IGNORECASE)


def match_filters(
    filters: Sequence[ActiveFilter],
    *,
    post_ids: Sequence[int],
    words: str,
    context: str | None = None,
    now: datetime | None = None,
) -> list[FilterMatch]:
    """The filters that match a post, with what matched.

    `post_ids` are the post and, for an echo, the echoed post; `words` is what keywords are
    looked for in. With `context`, only filters for that context count; with `now`, expired
    filters are skipped (active_filters already leaves them out).
    """
    found: list[FilterMatch] = []
    for f in filters:
        if context is not None and context not in f.context:
            continue
        if now is not None and f.expires_at is not None and f.expires_at <= now:
            continue
        keywords = [k for k, whole in f.keywords if keyword_pattern(k, whole).search(words)]
        statuses = [i for i in post_ids if i in f.post_ids]
        if keywords or statuses:
            found.append(FilterMatch(f, keywords, statuses))
    return found


def hides(matches: Sequence[FilterMatch]) -> bool:
    return any(m.filter.action == "hide" for m in matches)
