"""Signed-in pages kept per browser and dropped by the changes that would alter them.

A member's home page costs a session lookup, a timeline query, hydration, filters and Jinja
(about 10 ms of CPU); the same bytes from memory cost a dictionary lookup. So the rendered
`/home` of each browser (its session and CSRF cookies, the query, htmx or not) is kept, and
every change that could alter it drops it:

- anything the member does, at any door (a web form, a Mastodon API call, any process):
  `PageCacheMiddleware` drops the member's pages when a mutating request answers, after
  its transaction committed (or, failing before answering, when it ends); a staff member's
  changes (suspensions, instance settings) and a password reset drop every page, unless
  refused (status >= 400: nothing changed, and anyone can send one);
- what others do, from the domain events that already tell streaming and federation:
  a new post or echo drops the pages of the members whose home received it (read from
  `feed_entries`), an edit, delete, upvote or poll vote drops the pages showing that post,
  a follow, block or filter change the pages of both members, a profile change the pages
  showing that account (a remote account's deletion too), a notification its recipient's
  pages (the unread count), sign-ins ended elsewhere (`parley admin reset-password`) the
  member's;
- and time: a page lives at most `PARLEY_PAGE_CACHE_SECONDS` (relative times, mute expiry).

A render that overlaps any invalidation is not stored (`PageStore.generation`), so a page
read before a change committed cannot outlive the change's invalidation.
"""

from parley.web.page_cache.invalidation import PageInvalidation
from parley.web.page_cache.middleware import PageCacheMiddleware
from parley.web.page_cache.store import Page, PageStore

__all__ = ["Page", "PageCacheMiddleware", "PageInvalidation", "PageStore"]
