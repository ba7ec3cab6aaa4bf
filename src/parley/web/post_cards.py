"""Post cards in streams, rendered once per distinct content and reused.

Rendering `posts/_post.html` is most of the cost of a stream page (about half a millisecond per
parley), and the same cards are rendered again on every reload and for every member who
follows the same people. `PostCards.render` (the `post_card(view)` template global) keeps the
HTML of each card in an in-process LRU, under a key that holds everything the card shows:

- every column of every row in the PostView (the post, its author, the echoed post, the quote,
  mentions, tags, poll, media) and the PostView's own fields, including the viewer's flags
  (upvoted, echoed, bookmarked, pinned, muted) and the viewer's poll choices;
- whether someone is signed in and whether the shown parley is theirs (what the templates
  read of `viewer`), the stream's layout variables, whether the page URL has a query;
- the time-relative strings a card shows ("5m", "Ends in 3 hours").

So an edit, a delete, a new upvote or an undone echo gives a different key on the next request:
nothing needs invalidating, and a process never needs to hear of another's writes (old entries
age out of the LRU). The key holds no viewer id: two members with the same flags on a parley
share a card, which is safe because the card is a function of the key alone.

The two per-request strings in a card, the CSRF token and the page to come back to after an
action, are rendered as random placeholders and filled in on every use.

A template change that makes a card read something new of the viewer, the request or the
clock must add it to `_key`; tests/integration/web/test_post_cards.py checks that cached
pages are byte for byte what uncached rendering gives.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy import JSON, inspect
from sqlalchemy.orm import Mapper

from parley.domain.posts.views import PostView
from parley.web.filters import relative_time, time_left

CARD_TEMPLATE = "posts/_post.html"
DEFAULT_SIZE = 1024  # about 16 KB each with its key (measured on the M dataset): ~16 MB


@dataclass(frozen=True, slots=True)
class _Url:
    path: str
    query: str


@dataclass(frozen=True, slots=True)
class _MarkedRequest:
    """What a card reads of the request (`request.url.path`, `.query`), as placeholders."""

    url: _Url


# How to turn each type met in a PostView into something hashable, found once per type.
_FREEZERS: dict[type, Callable[[Any], Hashable]] = {}


def _freeze(value: Any) -> Hashable:
    kind = type(value)
    freezer = _FREEZERS.get(kind)
    if freezer is None:
        freezer = _freezer_for(kind)
        _FREEZERS[kind] = freezer
    return freezer(value)


def _freezer_for(kind: type) -> Callable[[Any], Hashable]:
    if kind in (list, tuple):
        return lambda items: tuple(_freeze(item) for item in items)
    if kind is dict:
        return repr  # JSON columns (poll options): compared as text
    if hasattr(kind, "__mapper__"):
        return _row_freezer(kind)
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda view: (kind, *(_freeze(getattr(view, name)) for name in names))
    return _same


def _row_freezer(kind: type) -> Callable[[Any], Hashable]:
    """Every column of an ORM row, so a column another feature adds later is in the key too.

    Values are read from the instance's dict (loaded columns; a stream never has unloaded
    ones, which a template could not read in async code anyway); JSON ones as their repr."""
    mapper: Mapper[Any] = inspect(kind)
    columns = mapper.column_attrs
    is_json = {c.key: isinstance(c.columns[0].type, JSON) for c in columns}
    plain = tuple(key for key, json_column in is_json.items() if not json_column)
    json = tuple(key for key, json_column in is_json.items() if json_column)
    name = kind.__name__

    def freeze(row: Any) -> Hashable:
        values = row.__dict__
        return (name, *map(values.get, plain), *(repr(values.get(key)) for key in json))

    return freeze


def _same(value: Hashable) -> Hashable:
    return value


class PostCards:
    """An LRU of rendered stream cards (see the module docstring)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self.enabled = size > 0
        self.hits = 0
        self.misses = 0
        self._cards: OrderedDict[Hashable, str] = OrderedDict()
        mark = secrets.token_hex(12)  # unguessable: no parley can contain it
        self._csrf = f"csrf{mark}"
        self._path = f"path{mark}"
        self._query = f"query{mark}"

    def __len__(self) -> int:
        return len(self._cards)

    def clear(self) -> None:
        self._cards.clear()

    @pass_context
    def render(self, context: Context, view: PostView) -> Markup:
        """The card of `view` in the current page (the `post_card` template global)."""
        variables = context.get_all()
        if not self.enabled or variables.get("poll_error"):
            # Template output is autoescaped HTML already.
            return Markup(self._template(context).render({**variables, "view": view}))  # noqa: S704
        request = variables["request"]
        has_query = bool(request.url.query)
        key = _key(view, variables, has_query)
        html = self._cards.get(key)
        if html is None:
            self.misses += 1
            marked = _MarkedRequest(_Url(self._path, self._query if has_query else ""))
            html = self._template(context).render(
                {**variables, "view": view, "request": marked, "csrf_token": self._csrf}
            )
            self._cards[key] = html
            if len(self._cards) > self.size:
                self._cards.popitem(last=False)
        else:
            self.hits += 1
            self._cards.move_to_end(key)
        # Only what the card holds: an anonymous card has no form, hence no token to make.
        if self._csrf in html:
            html = html.replace(self._csrf, escape(variables["csrf_token"]))
        if self._path in html:
            html = html.replace(self._path, escape(request.url.path))
            html = html.replace(self._query, escape(request.url.query))
        return Markup(html)  # noqa: S704 (rendered by the autoescaping template, values escaped)

    @staticmethod
    def _template(context: Context) -> Any:
        return context.environment.get_template(CARD_TEMPLATE)


def _key(view: PostView, variables: dict[str, Any], has_query: bool) -> Hashable:
    shown = view.shown
    viewer = variables.get("viewer")
    own = viewer is not None and viewer.account.id == shown.account.id
    clock: list[str] = [relative_time(shown.post.created_at), relative_time(shown.post.edited_at)]
    if shown.quote is not None:
        clock.append(relative_time(shown.quote.post.created_at))
    if shown.poll is not None:
        clock.append(time_left(shown.poll.poll.expires_at))
    return (
        _freeze(view),
        viewer is not None,
        own,
        viewer.user.media_display if viewer is not None else None,  # media_hidden() reads it
        has_query,
        variables.get("layout"),
        variables.get("depth"),
        variables.get("back_to"),
        bool(variables.get("pinned")),
        *clock,
    )
