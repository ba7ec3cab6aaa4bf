"""JSON responses (orjson) and Link-header pagination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

PAGE_PARAMS = frozenset({"max_id", "min_id", "since_id"})


def json_response(
    content: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json; charset=utf-8",
    )


def link_header(
    request: Request, base_url: str, *, newest: int | None, oldest: int | None, full: bool
) -> str | None:
    """Mastodon's Link header: `next` pages to older items, `prev` to newer ones.

    `next` is only given when the page was full, so clients stop at the end of a list.
    """
    if newest is None or oldest is None:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in PAGE_PARAMS]
    url = f"{base_url}{request.url.path}"
    links = []
    if full:
        links.append(f'<{url}?{urlencode([*kept, ("max_id", str(oldest))])}>; rel="next"')
    links.append(f'<{url}?{urlencode([*kept, ("min_id", str(newest))])}>; rel="prev"')
    return ", ".join(links)


def page_response(
    request: Request,
    base_url: str,
    entities: Sequence[Any],
    *,
    cursors: Sequence[int],
    limit: int,
) -> Response:
    """A list answer with its Link header; `cursors` are the items' pagination IDs, in order."""
    header = link_header(
        request,
        base_url,
        newest=cursors[0] if cursors else None,
        oldest=cursors[-1] if cursors else None,
        full=len(cursors) >= limit,
    )
    return json_response(list(entities), headers={"Link": header} if header else None)
