"""The automatic trigger of under-attack mode and the caching helpers."""

from __future__ import annotations

from pathlib import Path

from parley.config import Settings
from parley.db.engine import Database
from parley.db.migrate import upgrade
from parley.edge.attack import AttackState
from parley.edge.caching import etag_matches, weak_etag


async def test_the_trigger_needs_the_average_over_the_window(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        under_attack_auto_rps=10,
        under_attack_auto_window=5,
    )
    db = Database(settings.database_url)
    await upgrade(db.engine)
    state = AttackState(settings, db)
    try:
        # A burst of 40 in one second is 8 a second over 5 s: not enough.
        for _ in range(40):
            await state.note_anonymous_page(now=100.2)
        assert not await state.active()
        # Sustained: 15 a second for 5 s.
        for second in range(101, 106):
            for _ in range(15):
                await state.note_anonymous_page(now=second + 0.5)
        state.refresh_soon()
        assert await state.active()
        assert state.mode.auto_until is not None
        assert not state.mode.manual
    finally:
        await db.dispose()


def test_etags() -> None:
    tag = weak_etag(b"hello")
    assert tag.startswith('W/"')
    assert weak_etag(b"hello") == tag
    assert weak_etag(b"hello!") != tag
    assert etag_matches(tag, tag)
    assert etag_matches(f'"x", {tag.removeprefix("W/")}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches('W/"other"', tag)
    assert not etag_matches("", tag)
