"""The page cache counts its signed-in /home requests by outcome (kept or rendered) in /metrics,
so an operator (and bench/home.py) can read its hit ratio."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette

from parley.domain.accounts.models import Account
from parley.domain.posts import service as posts
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


def _count(app: Starlette, outcome: str) -> float:
    value = app.state.guard.metrics.registry.get_sample_value(
        "parley_page_cache_requests_total", {"outcome": outcome}
    )
    return float(value or 0.0)


async def test_kept_and_rendered_home_pages_are_counted(
    app: Starlette, runtime: Runtime, members: Members, browser_factory: Callable[[], Browser]
) -> None:
    user = await members.create("alice")
    alice = browser_factory()
    assert (await alice.sign_in("alice")).status_code == 303
    await alice.get("/home")  # rendered and kept
    assert len(app.state.page_cache) == 1
    assert (_count(app, "rendered"), _count(app, "kept")) == (1, 0)
    await alice.get("/home")
    await alice.get("/home")
    assert (_count(app, "rendered"), _count(app, "kept")) == (1, 2)

    async with runtime.db.transaction() as session:
        author = await session.get_one(Account, user.account_id)
        await posts.create_post(session, runtime.ctx, author=author, text="news")
    await runtime.worker.drain()  # the event drops the kept page
    assert "news" in (await alice.get("/home")).text
    assert (_count(app, "rendered"), _count(app, "kept")) == (2, 2)
    await browser_factory().get("/home")  # a visitor: no kept page to look for
    assert (_count(app, "rendered"), _count(app, "kept")) == (2, 2)
