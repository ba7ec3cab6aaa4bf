"""Files posted from HTML forms: the composer's attachments and the profile's pictures."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from parley.domain.errors import Invalid
from parley.domain.media import service as media
from parley.domain.media.models import MediaAttachment
from parley.infra.storage import MediaStore
from parley.runtime import Runtime

MAX_FILES = media.MAX_ATTACHMENTS


def chosen_files(form: FormData, name: str) -> list[tuple[UploadFile, str]]:
    """(file, alt text) for each file input that was filled; empty inputs are skipped."""
    files = form.getlist(name)
    descriptions = [v for v in form.getlist(f"{name}_description") if isinstance(v, str)]
    chosen = []
    for index, item in enumerate(files):
        if isinstance(item, UploadFile) and item.filename:
            alt = descriptions[index] if index < len(descriptions) else ""
            chosen.append((item, alt))
    return chosen


async def read_limited(upload: UploadFile, runtime: Runtime) -> bytes:
    settings = runtime.settings
    return await upload.read(
        max(settings.media_max_image_bytes, settings.media_max_video_bytes) + 1
    )


async def upload_all(
    session: AsyncSession,
    store: MediaStore,
    runtime: Runtime,
    *,
    account_id: int,
    chosen: list[tuple[UploadFile, str]],
    uploaded: list[MediaAttachment],
) -> list[int]:
    """Upload each chosen file; `uploaded` collects them so a caller can discard on failure."""
    if len(chosen) > MAX_FILES:
        raise Invalid("media", f"A post can have at most {MAX_FILES} attachments")
    limits = media.Limits.from_settings(runtime.settings)
    for upload, alt in chosen:
        try:
            item = await media.upload_media(
                session,
                store,
                limits,
                account_id=account_id,
                data=await read_limited(upload, runtime),
                description=alt,
            )
        except Invalid as exc:
            raise Invalid("media", f"{upload.filename}: {exc.message}") from exc
        uploaded.append(item)
    return [m.id for m in uploaded]


async def profile_images(form: FormData, runtime: Runtime) -> dict[str, bytes | None]:
    """New avatar/header files chosen in the profile form, and those marked for removal."""
    found: dict[str, bytes | None] = {}
    for slot in ("avatar", "header"):
        upload = form.get(slot)
        if isinstance(upload, UploadFile) and upload.filename:
            found[slot] = await upload.read(runtime.settings.media_max_image_bytes + 1)
        elif form.get(f"remove_{slot}") == "1":
            found[slot] = None
    return found
