"""Media uploads: POST /api/v2/media (async), POST /api/v1/media (sync), GET/PUT by id."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.errors import Invalid
from parley.domain.media import service
from parley.domain.media.models import MediaAttachment, MediaState
from parley.infra.storage import open_store
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.params import Params, unfold
from parley.mastodon.responses import json_response
from parley.mastodon.views import path_id

FILE_PARTS = 2  # `file` and `thumbnail`


async def _read_upload(request: Request, limit: int) -> tuple[bytes, Params]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid("file", "Upload the file as multipart/form-data")
    async with request.form(max_files=FILE_PARTS, max_part_size=64 * 1024) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("file", "File can't be blank")
        # One byte past the limit is enough to know it is too big; never read the rest.
        data = await upload.read(limit + 1)
        fields = unfold((k, v) for k, v in form.multi_items() if isinstance(v, str))
    return data, Params(fields)


async def _upload(request: Request, *, synchronous: bool) -> Response:
    member = await require_member(request, "write:media")
    runtime = runtime_of(request)
    limits = service.Limits.from_settings(runtime.settings)
    data, params = await _read_upload(request, max(limits.image_bytes, limits.video_bytes))
    async with runtime.db.transaction() as session:
        media = await service.upload_media(
            session,
            open_store(runtime.settings),
            limits,
            account_id=member.id,
            data=data,
            description=params.string("description") or "",
            focus=params.string("focus"),
            synchronous=synchronous,
        )
    status = 200 if media.state == MediaState.READY else 202
    return json_response(entities.media_attachment(runtime.settings.base_url, media), status=status)


async def upload_v2(request: Request) -> Response:
    return await _upload(request, synchronous=False)


async def upload_v1(request: Request) -> Response:
    return await _upload(request, synchronous=True)


def _answer(base_url: str, media: MediaAttachment) -> Response:
    if media.state == MediaState.FAILED:
        return json_response({"error": media.error or "Processing failed"}, status=422)
    status = 206 if media.state == MediaState.PROCESSING else 200
    return json_response(entities.media_attachment(base_url, media), status=status)


async def get_media(request: Request) -> Response:
    member = await require_member(request, "write:media")
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        media = await service.get_own_media(
            session, account_id=member.id, media_id=path_id(request)
        )
    return _answer(runtime.settings.base_url, media)


async def update_media(request: Request) -> Response:
    member = await require_member(request, "write:media")
    runtime = runtime_of(request)
    params = await Params.read(request)
    async with runtime.db.transaction() as session:
        media = await service.update_media(
            session,
            account_id=member.id,
            media_id=path_id(request),
            description=params.string("description"),
            focus=params.string("focus"),
        )
    return _answer(runtime.settings.base_url, media)


async def delete_media(request: Request) -> Response:
    member = await require_member(request, "write:media")
    runtime = runtime_of(request)
    async with runtime.db.transaction() as session:
        await service.delete_own_media(
            session,
            open_store(runtime.settings),
            account_id=member.id,
            media_id=path_id(request),
        )
    return json_response({})


routes = [
    Route("/api/v2/media", upload_v2, methods=["POST"]),
    Route("/api/v1/media", upload_v1, methods=["POST"]),
    Route("/api/v1/media/{id}", get_media, methods=["GET"]),
    Route("/api/v1/media/{id}", update_media, methods=["PUT"]),
    Route("/api/v1/media/{id}", delete_media, methods=["DELETE"]),
]
