"""Posting defaults (who new parleys reach, their language) from Settings, read by the
composer and by apps (/api/v1/preferences)."""

from __future__ import annotations

from collections.abc import Callable

from parley.domain.accounts.models import User
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.web.conftest import Browser


async def _defaults(runtime: Runtime, user: User) -> tuple[str, str | None]:
    async with runtime.db.reader() as session:
        fresh = await session.get_one(User, user.id)
        return fresh.default_visibility, fresh.default_language


async def test_posting_defaults_are_saved_and_preselected_in_the_composer(
    browser_factory: Callable[[], Browser], members: Members, runtime: Runtime
) -> None:
    user = await members.create("alice")
    alice = browser_factory()
    await alice.sign_in("alice")
    fields = {"media_display": "default", "default_visibility": "private",
              "default_language": "pt-BR"}  # fmt: skip
    saved = await alice.post("/settings/preferences", fields, page="/settings/preferences")
    assert saved.status_code == 303
    assert await _defaults(runtime, user) == ("private", "pt-BR")
    home = (await alice.get("/home")).text
    assert '<option value="private" selected>' in home
    # An empty language clears it.
    fields["default_language"] = ""
    await alice.post("/settings/preferences", fields, page="/settings/preferences")
    assert await _defaults(runtime, user) == ("private", None)


async def test_bad_posting_defaults_are_refused_whole(
    browser_factory: Callable[[], Browser], members: Members, runtime: Runtime
) -> None:
    user = await members.create("alice")
    alice = browser_factory()
    await alice.sign_in("alice")
    for visibility, language, message in (
        ("everyone", "en", "Choose one of"),
        ("unlisted", "not a language", "ISO 639"),
    ):
        fields = {"media_display": "hide_all", "default_visibility": visibility,
                  "default_language": language}  # fmt: skip
        refused = await alice.post("/settings/preferences", fields, page="/settings/preferences")
        assert refused.status_code == 422
        assert message in refused.text
        assert await _defaults(runtime, user) == ("public", None)
    assert 'value="hide_all" checked' not in (await alice.get("/settings/preferences")).text
