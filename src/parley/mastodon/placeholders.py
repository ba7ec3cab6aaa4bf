"""The default avatar and header images Mastodon apps expect at `.../original/missing.png`.

Apps show these for members without their own pictures (some recognise the path and draw
their own placeholder). Built once per app as a small grey PNG; no image library needed.
"""

from __future__ import annotations

import struct
import zlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.mastodon.entities import MISSING_AVATAR, MISSING_HEADER


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


async def missing_image(request: Request) -> Response:
    cache: dict[str, bytes] = request.app.state.placeholders
    path = request.url.path
    if path not in cache:
        size = (120, 120) if path == MISSING_AVATAR else (300, 100)
        cache[path] = solid_png(*size, (0xC8, 0xCC, 0xD2))
    return Response(
        cache[path], media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


routes = [Route(MISSING_AVATAR, missing_image), Route(MISSING_HEADER, missing_image)]
