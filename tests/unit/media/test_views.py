"""Attachments in the read model: loaded for a whole page in one query, in order."""

from __future__ import annotations

from parley.domain.accounts.models import Account
from parley.domain.media import service
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.domain.posts.views import hydrate
from parley.infra.storage import open_store
from parley.runtime import Runtime
from tests.conftest import Members
from tests.fixtures.media import jpeg_with_gps
from tests.unit.posts.test_views import counting_queries

PIXEL = jpeg_with_gps(16, 16)


async def posts_with_media(runtime: Runtime, account_id: int, n: int) -> list[Post]:
    made = []
    async with runtime.db.transaction() as session:
        author = await session.get(Account, account_id)
        assert author is not None
        for i in range(n):
            ids = []
            for j in range(2):
                media = await service.upload_media(
                    session,
                    open_store(runtime.settings),
                    service.Limits.from_settings(runtime.settings),
                    account_id=account_id,
                    data=PIXEL,
                    description=f"{i}-{j}",
                )
                ids.append(media.id)
            made.append(
                await posts.create_post(
                    session, runtime.ctx, author=author, text=f"post {i}", media_ids=ids
                )
            )
    return made


async def test_attachments_of_a_page_load_in_a_fixed_number_of_queries(
    runtime: Runtime, members: Members
) -> None:
    user = await members.create("alice")
    made = await posts_with_media(runtime, user.account_id, 6)
    with counting_queries(runtime) as one:
        async with runtime.db.reader() as session:
            [single] = await hydrate(session, None, made[:1])
    with counting_queries(runtime) as six:
        async with runtime.db.reader() as session:
            views = await hydrate(session, None, made)
    assert len(six) == len(one)
    assert [m.description for m in single.attachments] == ["0-0", "0-1"]
    assert [[m.description for m in v.attachments] for v in views][5] == ["5-0", "5-1"]
