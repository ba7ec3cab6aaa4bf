"""Serving media files from the store, from a place where nothing can execute.

A file is found only by a key this instance made (`parley.infra.storage.KEY_RE`), never by
a path, and served with the type we gave it, `nosniff`, and a CSP sandbox, so an uploaded
file that a browser might take for HTML or script is inert. Remote media are fetched once
through the SSRF-guarded client (size-limited) and then served the same way.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import NotFound
from parley.domain.media import remote
from parley.infra import storage
from parley.web.viewer import runtime_of

SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range asked for (first, last), when it is valid; else None (whole file)."""
    match = RANGE_RE.fullmatch((header or "").strip())
    if match is None or size == 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        start = max(0, size - int(last))
        return start, size - 1
    start, end = int(first), int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


def file_response(
    data: bytes, content_type: str, *, cache: str, range_header: str | None = None
) -> Response:
    inline = content_type.startswith(("image/", "video/", "audio/"))
    headers = {
        **SAFE_HEADERS,
        "Content-Disposition": "inline" if inline else "attachment",
        "Cache-Control": cache,
        "Accept-Ranges": "bytes",
    }
    # Safari plays video only from servers that answer byte ranges.
    wanted = _range(range_header, len(data))
    if wanted is None:
        return Response(data, media_type=content_type, headers=headers)
    start, end = wanted
    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    return Response(
        data[start : end + 1], status_code=206, media_type=content_type, headers=headers
    )


async def serve_file(request: Request) -> Response:
    key = request.path_params["key"]
    if not storage.is_public(key):
        raise NotFound("Record not found")
    data = await storage.open_store(runtime_of(request).settings).get(key)
    if data is None:
        raise NotFound("Record not found")
    return file_response(
        data,
        storage.content_type_of(key),
        cache="public, max-age=31536000, immutable",
        range_header=request.headers.get("range"),
    )


async def serve_remote(request: Request) -> Response:
    """A remote attachment, cached here on first view (readers never contact the origin)."""
    raw = request.path_params["media_id"]
    if not raw.isdigit() or len(raw) > 19:
        raise NotFound("Record not found")
    runtime = runtime_of(request)
    state = request.app.state  # tests route the fetch to an in-process server here
    async with runtime.db.transaction() as session:
        data, content_type = await remote.cached_copy(
            session,
            runtime.settings,
            media_id=int(raw),
            transport=getattr(state, "media_transport", None),
            resolver=getattr(state, "media_resolver", None),
        )
    return file_response(
        data, content_type, cache="public, max-age=86400", range_header=request.headers.get("range")
    )


routes = [
    Route("/media/remote/{media_id}", serve_remote),
    Route("/media/{key:path}", serve_file),
]
