"""The edge's own answers, in each door's convention. They need no database and no template
engine, so they stay cheap when they are all a flood gets back."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from html import escape

import orjson
from starlette.responses import HTMLResponse, Response

from parley.edge.doors import Door
from parley.infra.ratelimit import Verdict

TOO_MANY = "Too many requests"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;
color:#1d2433;background:#f6f7fb;line-height:1.5}}
main{{background:#fff;border-radius:12px;padding:1.5rem 2rem;box-shadow:0 1px 3px #0002}}
h1{{font-size:1.4rem}} .muted{{color:#5b6478;font-size:.9rem}}
progress{{width:100%}}
</style>{head}</head>
<body><main>{body}</main></body></html>"""


def page(title: str, body: str, *, head: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(title=escape(title), body=body, head=head),
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def reset_header(verdict: Verdict) -> str:
    """Mastodon's X-RateLimit-Reset: an ISO 8601 time with microseconds."""
    return datetime.fromtimestamp(verdict.reset_at, UTC).isoformat(timespec="microseconds")


def rate_headers(verdict: Verdict) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(verdict.limit.amount),
        "X-RateLimit-Remaining": str(max(0, verdict.remaining)),
        "X-RateLimit-Reset": reset_header(verdict),
    }


@lru_cache(maxsize=64)
def _slow_down(minutes: int) -> str:
    body = (
        "<h1>Slow down</h1><p>Too many requests came from your connection in a short "
        f"time. Please wait about {minutes} minute{'s' if minutes > 1 else ''} and try "
        "again.</p><p class=muted>This limit keeps the site up for everyone.</p>"
    )
    return PAGE.format(title="Slow down", body=body, head="")


def too_many(door: Door, verdict: Verdict) -> Response:
    headers = {"Retry-After": str(verdict.retry_after), "Cache-Control": "no-store"}
    if door is Door.WEB:
        minutes = max(1, round(verdict.retry_after / 60))
        return HTMLResponse(_slow_down(minutes), status_code=429, headers=headers)
    if door is Door.API:
        headers.update(rate_headers(verdict))
    return Response(
        orjson.dumps({"error": TOO_MANY}),
        status_code=429,
        media_type="application/json",
        headers=headers,
    )
