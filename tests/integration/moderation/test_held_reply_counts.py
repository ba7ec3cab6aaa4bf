"""A held reply or quote does not count on its parent until a moderator approves it: the
parent's public counters never show a comment nobody can read."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from parley.domain.posts.models import Post
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Browser
from tests.integration.moderation.test_autoflag_doors import signed_in


async def counts(runtime: Runtime, post_id: int) -> tuple[int, int]:
    async with runtime.db.reader() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return post.replies_count, post.quotes_count


async def write(runtime: Runtime, browser: Browser, text: str, parent_id: int | None) -> int:
    form = {"text": text, "next": "/home"}
    if parent_id is not None:
        form["in_reply_to_id"] = str(parent_id)
    answer = await browser.post("/posts", form, page="/home")
    assert answer.status_code == 303, answer.text
    async with runtime.db.reader() as session:
        return int(await session.scalar(select(func.max(Post.id))) or 0)


async def setup(
    runtime: Runtime, make: Callable[[], Browser], members: Members
) -> tuple[Browser, Browser, int]:
    alice = await signed_in(make, members, "alice", "member")
    bob = await signed_in(make, members, "bob", "member")
    mod = await signed_in(make, members, "mod", "moderator")
    return bob, mod, await write(runtime, alice, "A sunny day", None)


async def test_a_held_reply_counts_only_once_approved(
    runtime: Runtime, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    bob, mod, parent_id = await setup(runtime, browser_factory, members)
    held_id = await write(runtime, bob, "I will kill you all", parent_id)
    assert await counts(runtime, parent_id) == (0, 0)
    approved = await mod.post(
        f"/moderation/held/{held_id}/approve", {"note": ""}, page="/moderation/held"
    )
    assert approved.status_code == 303
    assert await counts(runtime, parent_id) == (1, 0)


async def test_a_rejected_held_reply_never_counted_and_a_deleted_reply_uncounts(
    runtime: Runtime, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    bob, mod, parent_id = await setup(runtime, browser_factory, members)
    normal_id = await write(runtime, bob, "Lovely indeed", parent_id)
    assert await counts(runtime, parent_id) == (1, 0)
    held_id = await write(runtime, bob, "I will kill you all", parent_id)
    rejected = await mod.post(
        f"/moderation/held/{held_id}/reject", {"reason": "Threat (rule 1)"},
        page="/moderation/held",
    )  # fmt: skip
    assert rejected.status_code == 303
    # The rejection removed a reply that never counted: the normal one still does.
    assert await counts(runtime, parent_id) == (1, 0)
    deleted = await bob.post(f"/@bob/{normal_id}/delete", {}, page=f"/@bob/{normal_id}")
    assert deleted.status_code in (303, 200), deleted.text
    assert await counts(runtime, parent_id) == (0, 0)
