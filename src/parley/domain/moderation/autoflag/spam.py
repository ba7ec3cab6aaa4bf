"""Spam heuristics: the signals of a throwaway account advertising to strangers.

Three signals, each counted once: the account is new (younger than `new_account_days`), the
post carries at least `min_links` links, and it mentions at least `min_stranger_mentions`
accounts that do not follow the author. The score is the share of signals present (0, 1/3,
2/3 or 1); with the default threshold of 1 all three must be there, so a new member
greeting friends, or an old one sharing a link with many people, is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.posts.models import Mention, Post
from parley.domain.relationships.models import Follow

_ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_CLASS = re.compile(r"""class\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']https?://""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SpamSignals:
    account_age_days: float
    links: int
    stranger_mentions: int
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(len(self.reasons) / 3, 4)


def count_links(content_html: str) -> int:
    """Links to web pages in a post's HTML; @mentions and #hashtags are links too but not
    counted (both carry the class `mention`, locally and from Mastodon-like servers)."""
    count = 0
    for anchor in _ANCHOR.findall(content_html):
        classes = _CLASS.search(anchor)
        if classes and "mention" in classes.group(1).split():
            continue
        if _HREF.search(anchor):
            count += 1
    return count


async def count_stranger_mentions(session: AsyncSession, post: Post, author: Account) -> int:
    """Accounts mentioned in the post that do not follow its author. For a remote author only
    local accounts count: who follows them on other servers is not known here."""
    follows = (
        select(Follow.id)
        .where(Follow.account_id == Mention.account_id, Follow.target_id == post.account_id)
        .exists()
    )
    query = (
        select(func.count())
        .select_from(Mention)
        .where(Mention.post_id == post.id, Mention.account_id != post.account_id, ~follows)
    )
    if author.domain is not None:
        query = query.join(Account, Account.id == Mention.account_id).where(
            Account.domain.is_(None)
        )
    return int(await session.scalar(query) or 0)


async def spam_signals(
    session: AsyncSession, *, post: Post, author: Account, params: dict[str, int]
) -> SpamSignals:
    age = (utcnow() - author.created_at) / timedelta(days=1)
    links = count_links(post.content_html)
    strangers = await count_stranger_mentions(session, post, author)
    reasons = []
    if age < params["new_account_days"]:
        reasons.append(f"account is {age:.1f} days old")
    if links >= params["min_links"]:
        reasons.append(f"{links} link(s)")
    if strangers >= params["min_stranger_mentions"]:
        reasons.append(f"mentions {strangers} account(s) that do not follow the author")
    return SpamSignals(round(age, 2), links, strangers, reasons)
