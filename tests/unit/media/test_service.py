"""Media commands: background processing outcomes, expiry, pruning, focus and alt text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from parley.db.base import utcnow
from parley.domain.accounts import deletion
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account
from parley.domain.errors import Invalid
from parley.domain.media import service
from parley.domain.media.models import MAX_DESCRIPTION, MediaAttachment, MediaState
from parley.domain.posts import service as posts
from parley.infra.storage import MediaStore, open_store
from parley.runtime import Runtime
from tests.conftest import PASSWORD, Members
from tests.fixtures.media import jpeg_with_gps, noise_png


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def upload(
    runtime: Runtime, account_id: int, data: bytes, **kwargs: object
) -> MediaAttachment:
    async with runtime.db.transaction() as session:
        return await service.upload_media(
            session,
            open_store(runtime.settings),
            service.Limits.from_settings(runtime.settings),
            account_id=account_id,
            data=data,
            **kwargs,  # type: ignore[arg-type]
        )


async def test_a_file_that_fails_processing_is_marked_failed_and_its_raw_copy_removed(
    runtime: Runtime, members: Members
) -> None:
    user = await members.create("alice")
    media = await upload(runtime, user.account_id, noise_png(700, 600))
    assert media.state == MediaState.PROCESSING
    store: MediaStore = open_store(runtime.settings)
    assert media.incoming_key is not None
    # Damaged after acceptance (a disk error, a truncated copy): the job must not crash.
    await store.put(media.incoming_key, b"\x89PNG\r\n\x1a\n broken", "application/octet-stream")
    await runtime.worker.drain()
    async with runtime.db.reader() as session:
        failed = await session.get(MediaAttachment, media.id)
    assert failed is not None
    assert failed.state == MediaState.FAILED
    assert failed.error
    assert failed.incoming_key is None
    assert files_under(runtime.settings.media_dir) == []


async def test_processing_twice_changes_nothing(runtime: Runtime, members: Members) -> None:
    user = await members.create("alice")
    media = await upload(runtime, user.account_id, noise_png(700, 600))
    store = open_store(runtime.settings)
    await service.process_pending(runtime.db, store, media.id)
    before = sorted(files_under(runtime.settings.media_dir))
    await service.process_pending(runtime.db, store, media.id)
    assert sorted(files_under(runtime.settings.media_dir)) == before
    assert len(before) == 2


async def test_unattached_uploads_expire_and_attached_ones_stay(
    runtime: Runtime, members: Members
) -> None:
    user = await members.create("alice")
    kept = await upload(runtime, user.account_id, jpeg_with_gps(64, 64))
    dropped = await upload(runtime, user.account_id, jpeg_with_gps(64, 64))
    async with runtime.db.transaction() as session:
        await session.execute(
            update(MediaAttachment).values(created_at=utcnow() - timedelta(days=2))
        )
        author = await session.get(Account, user.account_id)
        assert author is not None
        await posts.create_post(
            session, runtime.ctx, author=author, text="kept", media_ids=[kept.id]
        )
    async with runtime.db.transaction() as session:
        assert await service.prune_unattached(session, open_store(runtime.settings)) == 1
        assert await session.get(MediaAttachment, dropped.id) is None
        assert await session.get(MediaAttachment, kept.id) is not None
    assert len(files_under(runtime.settings.media_dir)) == 2
    # The delayed expiry job for the kept upload finds it attached and leaves it.
    async with runtime.db.transaction() as session:
        assert not await service.expire_upload(session, open_store(runtime.settings), kept.id)


@pytest.mark.parametrize("focus", ["2,0", "a,b", "0.5", "nan,0"])
async def test_bad_focus_is_refused(focus: str) -> None:
    with pytest.raises(Invalid):
        service.parse_focus(focus)


async def test_alt_text_has_a_limit(runtime: Runtime, members: Members) -> None:
    user = await members.create("alice")
    with pytest.raises(Invalid, match="Description"):
        await upload(
            runtime, user.account_id, jpeg_with_gps(64, 64), description="x" * (MAX_DESCRIPTION + 1)
        )
    assert files_under(runtime.settings.media_dir) == []


async def test_deleting_an_account_deletes_its_uploads_and_pictures(
    runtime: Runtime, members: Members
) -> None:
    user = await members.create("alice")
    await upload(runtime, user.account_id, jpeg_with_gps(64, 64))
    async with runtime.db.transaction() as session:
        account = await session.get(Account, user.account_id)
        assert account is not None
        await accounts.set_profile_image(
            session, runtime.ctx, account=account, slot="avatar", data=jpeg_with_gps(64, 64)
        )
    assert len(files_under(runtime.settings.media_dir)) == 3
    async with runtime.db.transaction() as session:
        account = await session.get(Account, user.account_id)
        assert account is not None
        await deletion.delete_account(session, runtime.ctx, account=account, password=PASSWORD)
    assert files_under(runtime.settings.media_dir) == []
