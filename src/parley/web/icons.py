"""The interface's icons: inline SVG paths by name, one `icon(name, label)` for templates.

A Python global rather than a Jinja macro: a stream page shows dozens of icons, and calling a
macro costs far more than looking up a string already built."""

# ruff: noqa: E501 (SVG path data reads best one icon a line)

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

PATHS = {
    "search": '<circle cx="11" cy="11" r="7"/><path d="m20 20-3.5-3.5"/>',
    "home": '<path d="M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z"/>',
    "local": (
        '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9M12 3C9.5 5.6 8.2 8.6 8.2 12s1.3 6.4 3.8 9"/>'
    ),
    "bell": (
        '<path d="M6 9a6 6 0 1 1 12 0c0 6 2.5 8 2.5 8h-17S6 15 6 9"/><path d="M10 20.5a2.2 2.2 0 0 0 4 0"/>'
    ),
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>',
    "settings": (
        '<path d="M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1"/><circle cx="15" cy="6" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="18" r="2"/>'
    ),
    "bookmark": '<path d="M6.5 3.5h11v17L12 16.5l-5.5 4z"/>',
    "upvote": '<path d="M12 3.5 4 12.5h4.6V20h6.8v-7.5H20z"/>',
    "echo": (
        '<path d="m17 2.5 3.5 3.5L17 9.5"/><path d="M3.5 11.5V10a4 4 0 0 1 4-4h13"/><path d="m7 21.5-3.5-3.5L7 14.5"/><path d="M20.5 12.5V14a4 4 0 0 1-4 4h-13"/>'
    ),
    "comment": (
        '<path d="M20.5 11.5a8.5 8.5 0 0 1-12.3 7.6L3.5 20.5l1.4-4.4a8.5 8.5 0 1 1 15.6-4.6z"/>'
    ),
    "quote": (
        '<path d="M20.5 11.5a8.5 8.5 0 0 1-12.3 7.6L3.5 20.5l1.4-4.4a8.5 8.5 0 1 1 15.6-4.6z"/><path d="M8.5 10.5h2v2.5c0 1-.6 1.7-1.5 2M13.5 10.5h2v2.5c0 1-.6 1.7-1.5 2"/>'
    ),
    "list": (
        '<path d="M9 6h11.5M9 12h11.5M9 18h11.5"/><circle cx="4.5" cy="6" r=".6"/><circle cx="4.5" cy="12" r=".6"/><circle cx="4.5" cy="18" r=".6"/>'
    ),
    "pin": '<path d="M12 16.5V21.5"/><path d="M8.5 3h7l-1 6 3.5 3.5v2H6v-2L9.5 9z"/>',
    "more": (
        '<circle cx="5" cy="12" r="1.3"/><circle cx="12" cy="12" r="1.3"/><circle cx="19" cy="12" r="1.3"/>'
    ),
    "edit": '<path d="M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16z"/><path d="m13.5 6.5 4 4"/>',
    "trash": '<path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/>',
    "lock": (
        '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>'
    ),
    "unlisted": (
        '<path d="M3 3l18 18"/><path d="M10.6 6.1A9.8 9.8 0 0 1 12 6c5 0 8.5 4 9.5 6a14.6 14.6 0 0 1-2.7 3.4M6.3 7.7A14.4 14.4 0 0 0 2.5 12c1 2 4.5 6 9.5 6a9.6 9.6 0 0 0 4.6-1.2"/><path d="M9.9 10a3 3 0 0 0 4.1 4.1"/>'
    ),
    "mention": (
        '<circle cx="12" cy="12" r="4"/><path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8"/>'
    ),
    "hash": '<path d="M4 9h16M4 15h16M10 3 8 21M16 3l-2 18"/>',
    "signout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 16v-4.5M12 8h.01"/>',
    "userplus": '<circle cx="9" cy="8" r="4"/><path d="M2 21a7 7 0 0 1 14 0M19 8v6M16 11h6"/>',
    "poll": '<path d="M5 20V11M12 20V4M19 20v-6"/>',
    "image": (
        '<rect x="3" y="5" width="18" height="14" rx="2"/><circle cx="9" cy="10" r="2"/><path d="M21 17l-5-5-9 7"/>'
    ),
    "warning": (
        '<path d="M10.3 3.9 2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4.5M12 17h.01"/>'
    ),
    "back": '<path d="M19 12H5M11 18l-6-6 6-6"/>',
    "mute": '<path d="M11 5 6 9H2.5v6H6l5 4z"/><path d="m22 9-6 6M16 9l6 6"/>',
    "block": '<circle cx="12" cy="12" r="9"/><path d="m5.6 5.6 12.8 12.8"/>',
    "history": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5M12 7v5l3 2"/>',
    "compose": '<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
    "check": '<path d="M20 6 9 17l-5-5"/>',
    "x": '<path d="M18 6 6 18M6 6l12 12"/>',
    "sparkle": (
        '<path d="M12 3v4M12 17v4M3 12h4M17 12h4M5.6 5.6l2.8 2.8M15.6 15.6l2.8 2.8M5.6 18.4l2.8-2.8M15.6 8.4l2.8-2.8"/>'
    ),
}


@lru_cache(maxsize=512)  # names and labels are the templates' constants: a few dozen pairs
def icon(name: str, label: str | None = None) -> Markup:
    """The SVG of icon `name` (empty for an unknown name): labelled for screen readers when
    `label` is given, else hidden from them."""
    if label:
        shown = f'role="img" aria-label="{escape(label)}"'
    else:
        shown = 'aria-hidden="true" focusable="false"'
    return Markup(  # noqa: S704 (the paths are constants, the name and label are escaped)
        f'<svg class="icon icon-{escape(name)}" viewBox="0 0 24 24" {shown}>{PATHS.get(name, "")}</svg>'
    )
