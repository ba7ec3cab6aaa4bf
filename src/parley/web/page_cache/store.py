"""The pages themselves: bounded in bytes and in age, indexed by what can drop them."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

# What a page shows, read from its HTML so that every template path is covered: a parley's
# address is /@acct/<id> (originals of echoes and quoted parleys included), a stream entry's
# DOM id is post-<id> (an echo's own id), and every account shown links to /@acct.
POST_LINK = re.compile(rb'href="/@[^"/?#]+/(\d+)"|id="post-(?:pin)?(\d+)"')
ACCOUNT_LINK = re.compile(rb'href="/@([^"/?#]+)"')

K = TypeVar("K")
# Pages kept per member: every query string is a page of its own, and one member asking for
# many must replace their own oldest rather than push everyone else's out.
MEMBER_PAGES = 16


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    member_id: int
    posts: frozenset[int] = frozenset()
    accounts: frozenset[str] = frozenset()
    expires: float = field(default=0.0, compare=False)

    @staticmethod
    def shown_in(body: bytes) -> tuple[frozenset[int], frozenset[str]]:
        """The parley ids and accounts (acct) that a page's HTML shows."""
        posts = {int(a or b) for a, b in POST_LINK.findall(body)}
        accounts = {acct.decode("utf-8", "replace").lower() for acct in ACCOUNT_LINK.findall(body)}
        return frozenset(posts), frozenset(accounts)


class PageStore:
    """In-process pages by key (least recently used first out, past `max_bytes`).

    `generation` counts invalidations: `put` refuses a page whose render began before the
    latest one, since it may hold what that invalidation was meant to drop."""

    def __init__(
        self, *, seconds: float, max_bytes: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.clock = clock
        self.generation = 0
        self.size = 0
        self._pages: OrderedDict[bytes, Page] = OrderedDict()
        self._by_member: dict[int, set[bytes]] = {}
        self._by_post: dict[int, set[bytes]] = {}
        self._by_account: dict[str, set[bytes]] = {}

    @property
    def enabled(self) -> bool:
        return self.seconds > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: bytes) -> Page | None:
        page = self._pages.get(key)
        if page is None:
            return None
        if page.expires <= self.clock():
            self._drop(key)
            return None
        self._pages.move_to_end(key)
        return page

    def put(self, key: bytes, page: Page, *, since: int) -> bool:
        """Keep `page` unless an invalidation happened after `since` (a generation)."""
        if since != self.generation or len(page.body) > self.max_bytes or not self.enabled:
            return False
        self._drop(key)
        kept = replace(page, expires=self.clock() + self.seconds)
        self._pages[key] = kept
        self.size += len(kept.body)
        own = self._by_member.setdefault(kept.member_id, set())
        own.add(key)
        if len(own) > MEMBER_PAGES:
            self._drop(next(k for k in self._pages if k in own))  # their least recently used
        for post_id in kept.posts:
            self._by_post.setdefault(post_id, set()).add(key)
        for acct in kept.accounts:
            self._by_account.setdefault(acct, set()).add(key)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._pages)))
        return True

    def members(self) -> set[int]:
        """Members with a page kept here (what an invalidation needs to look at)."""
        return set(self._by_member)

    def invalidated(self) -> None:
        """Something changed: renders in flight must not be stored."""
        self.generation += 1

    def drop_members(self, member_ids: Iterable[int]) -> None:
        self._drop_indexed(self._by_member, member_ids)

    def drop_posts(self, post_ids: Iterable[int]) -> None:
        self._drop_indexed(self._by_post, post_ids)

    def drop_accounts(self, accts: Iterable[str]) -> None:
        self._drop_indexed(self._by_account, (acct.lower() for acct in accts))

    def clear(self) -> None:
        self.generation += 1
        self._pages.clear()
        self._by_member.clear()
        self._by_post.clear()
        self._by_account.clear()
        self.size = 0

    def _drop_indexed(self, index: dict[K, set[bytes]], wanted: Iterable[K]) -> None:
        self.generation += 1
        for item in wanted:
            for key in list(index.get(item, ())):
                self._drop(key)

    def _drop(self, key: bytes) -> None:
        page = self._pages.pop(key, None)
        if page is None:
            return
        self.size -= len(page.body)
        _unindex(self._by_member, page.member_id, key)
        for post_id in page.posts:
            _unindex(self._by_post, post_id, key)
        for acct in page.accounts:
            _unindex(self._by_account, acct, key)


def _unindex(index: dict[K, set[bytes]], item: K, key: bytes) -> None:
    keys = index.get(item)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[item]
