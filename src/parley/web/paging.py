"""Pages of a stream in the web UI: "load more" walks back with max_id, as the API does."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from parley.domain.pagination import PageRequest

PAGE_SIZE = 20


def page_request(request: Request) -> PageRequest:
    """The page asked for by `?max_id=`; a malformed value is an Invalid (shown as a 422 page)."""
    return PageRequest.parse(max_id=request.query_params.get("max_id"), limit=PAGE_SIZE)


def older_url(request: Request, ids: list[int]) -> str | None:
    """The link to the next, older page, or None when this page was not full."""
    if len(ids) < PAGE_SIZE:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "max_id"}
    params["max_id"] = str(min(ids))
    return f"{request.url.path}?{urlencode(params)}"
