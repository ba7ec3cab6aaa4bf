"""Jinja2 filters: dates, counts and IDs as people read them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 7 * 86400:
        return f"{seconds // 86400}d"
    if value.year == now.year:
        return value.strftime("%b %-d")
    return value.strftime("%b %-d, %Y")


def long_date(value: datetime | None) -> str:
    """An unambiguous date and time, for tooltips and the focused post."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%b %-d, %Y, %H:%M UTC")


def time_left(value: datetime | None, now: datetime | None = None) -> str:
    """How long until `value`, roughly ("3 days", "5 hours", "2 minutes")."""
    if value is None:
        return ""
    seconds = int((value - (now or datetime.now(UTC))).total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            amount = seconds // size
            return f"{amount} {unit}{'' if amount == 1 else 's'}"
    return "less than a minute"


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def compact_count(value: int) -> str:
    if value < 1000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}K".replace(".0K", "K")
    return f"{value / 1_000_000:.1f}M".replace(".0M", "M")


def media_hidden(viewer: Any, post: Any) -> bool:
    """Whether a post's media start hidden behind "show" for this viewer: their preference
    (Mastodon's reading:expand:media) says show_all, hide_all, or by default only sensitive
    posts' media. Strangers get the default."""
    preference = viewer.user.media_display if viewer is not None else "default"
    if preference == "show_all":
        return False
    return preference == "hide_all" or bool(post.sensitive)


def register(env: Environment) -> None:
    env.globals["media_hidden"] = media_hidden
    env.filters["reltime"] = relative_time
    env.filters["iso"] = iso
    env.filters["longdate"] = long_date
    env.filters["time_left"] = time_left
    env.filters["count"] = compact_count
