"""Settings pages to take an account elsewhere and bring one here: export, import, move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from parley.domain.errors import DomainError, Invalid, NotFound
from parley.domain.portability import archive, imports, migration
from parley.domain.portability.csv_formats import FILE_NAMES, MAX_BYTES, Kind
from parley.domain.portability.export import export_csv
from parley.domain.portability.queries import find_moved_to
from parley.infra.storage import open_store
from parley.web import forms
from parley.web.csrf import CsrfError, checked_form
from parley.web.templating import render
from parley.web.viewer import Viewer, require_viewer, runtime_of

StartImport = Callable[[AsyncSession, Viewer, FormData, bytes, str], Awaitable[object]]
KIND_LABELS = {
    Kind.FOLLOWING: "Follows",
    Kind.BLOCKING: "Blocks",
    Kind.MUTING: "Mutes",
    Kind.LISTS: "Lists",
    Kind.BOOKMARKS: "Bookmarks",
}


async def export_page(request: Request) -> Response:
    await require_viewer(request)
    return await render(
        request, "settings/export.html", {"kinds": KIND_LABELS, "file_names": FILE_NAMES}
    )


async def export_file(request: Request) -> Response:
    viewer = await require_viewer(request)
    kind = request.path_params["kind"]
    if kind not in Kind.ALL:
        raise NotFound("No such export")
    runtime = runtime_of(request)
    chunks = export_csv(
        runtime.db,
        account_id=viewer.account.id,
        kind=kind,
        local_domain=runtime.settings.domain,
    )
    return _download(chunks, "text/csv; charset=utf-8", FILE_NAMES[kind])


def _download(chunks: AsyncIterator[Any], media_type: str, file_name: str) -> Response:
    """A streamed file for the signed-in member only: never kept by a cache."""
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file_name}"',
            "Cache-Control": "private, no-store",
        },
    )


async def export_archive(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    chunks = archive.stream_archive(
        runtime.db, runtime.ctx, open_store(runtime.settings), account_id=viewer.account.id
    )
    return _download(chunks, "application/zip", f"archive-{viewer.account.username}.zip")


async def _start_import(request: Request, field: str, limit: int, start: StartImport) -> Response:
    """Read the uploaded file and hand it to `start`; the page again with any error."""
    viewer = await require_viewer(request)
    form = await _checked_upload_form(request)
    try:
        data, name = await _upload(form, field, limit)
        async with runtime_of(request).db.transaction() as session:
            await start(session, viewer, form, data, name)
    except DomainError as exc:
        return await _import_page(request, viewer, error=exc, form=form)
    finally:
        await form.close()
    return RedirectResponse("/settings/import?started=1", status_code=303)


async def import_archive(request: Request) -> Response:
    runtime = runtime_of(request)

    async def start(
        session: AsyncSession, viewer: Viewer, _form: FormData, data: bytes, name: str
    ) -> None:
        await archive.start_archive_import(
            session,
            runtime.ctx,
            open_store(runtime.settings),
            account=viewer.account,
            data=data,
            file_name=name,
        )

    return await _start_import(request, "archive", archive.MAX_ARCHIVE_BYTES, start)


async def _checked_upload_form(request: Request) -> FormData:
    """checked_form, closing the spooled files when the CSRF check refuses the form."""
    try:
        return await checked_form(request)
    except CsrfError:
        await (await request.form()).close()
        raise


async def _upload(form: Any, name: str, limit: int) -> tuple[bytes, str]:
    """The file posted as `name` (at most `limit` bytes), and its name."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid(name, "Choose a file")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise Invalid(name, f"The file is larger than {limit // (1024 * 1024)} MB")
    return data, upload.filename


async def _import_page(
    request: Request, viewer: Viewer, *, error: DomainError | None = None, form: Any = None
) -> Response:
    async with runtime_of(request).db.reader() as session:
        mine = await imports.list_imports(session, viewer.account.id)
    return await render(
        request,
        "settings/import.html",
        {
            "kinds": KIND_LABELS,
            "imports": mine,
            "error": error,
            "form": form,
            "notice": "Import started." if request.query_params.get("started") else None,
        },
        status_code=422 if error else 200,
    )


async def import_page(request: Request) -> Response:
    if request.method == "GET":
        return await _import_page(request, await require_viewer(request))

    async def start(
        session: AsyncSession, viewer: Viewer, form: FormData, data: bytes, name: str
    ) -> None:
        await imports.start_csv_import(
            session,
            account=viewer.account,
            kind=forms.text(form, "type"),
            mode=forms.text(form, "mode") or "merge",
            data=data,
            file_name=name,
        )

    return await _start_import(request, "file", MAX_BYTES, start)


async def _migration_page(
    request: Request, viewer: Viewer, *, error: DomainError | None = None, notice: str | None = None
) -> Response:
    async with runtime_of(request).db.reader() as session:
        account = await session.get(type(viewer.account), viewer.account.id)
        assert account is not None
        moved_to = await find_moved_to(session, account)
    return await render(
        request,
        "settings/migration.html",
        {
            "aliases": list(account.also_known_as or []),
            "moved_to": moved_to,
            "handle": f"{account.username}@{runtime_of(request).settings.domain}",
            "error": error,
            "notice": notice,
        },
        status_code=422 if error else 200,
    )


NOTICES = {
    "alias": "Alias added. That account can now move here.",
    "removed": "Alias removed.",
    "moved": "Your account has moved. Your followers are being moved to the new account.",
}


async def migration_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _migration_page(request, viewer, notice=notice)


async def add_alias(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    runtime = runtime_of(request)
    try:
        await migration.add_alias(
            runtime.db, runtime.ctx, account_id=viewer.account.id, address=forms.text(form, "alias")
        )
    except DomainError as exc:
        return await _migration_page(request, viewer, error=exc)
    return RedirectResponse("/settings/migration?done=alias", status_code=303)


async def remove_alias(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    try:
        async with runtime_of(request).db.transaction() as session:
            await migration.remove_alias(
                session, account_id=viewer.account.id, uri=forms.text(form, "uri")
            )
    except DomainError as exc:
        return await _migration_page(request, viewer, error=exc)
    return RedirectResponse("/settings/migration?done=removed", status_code=303)


async def move(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await checked_form(request)
    runtime = runtime_of(request)
    try:
        await migration.move_account(
            runtime.db,
            runtime.ctx,
            account_id=viewer.account.id,
            password=forms.text(form, "current_password"),
            target_address=forms.text(form, "target"),
        )
    except DomainError as exc:
        return await _migration_page(request, viewer, error=exc)
    return RedirectResponse("/settings/migration?done=moved", status_code=303)


routes = [
    Route("/settings/export", export_page),
    Route("/settings/export/archive.zip", export_archive),
    Route("/settings/export/{kind}.csv", export_file),
    Route("/settings/import/archive", import_archive, methods=["POST"]),
    Route("/settings/import", import_page, methods=["GET", "POST"]),
    Route("/settings/migration", migration_page),
    Route("/settings/migration/aliases", add_alias, methods=["POST"]),
    Route("/settings/migration/aliases/remove", remove_alias, methods=["POST"]),
    Route("/settings/migration/move", move, methods=["POST"]),
]
