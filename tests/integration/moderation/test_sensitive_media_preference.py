"""The sensitive-media preference: Settings > Preferences (hide sensitive by default, show
all, hide all), applied to every parley's media in the web UI, and the same setting read and
written by apps (reading:expand:media, source.sensitive / posting:default:sensitive)."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Members
from tests.fixtures.media import png_with_text
from tests.integration.mastodon.conftest import Api
from tests.integration.media.test_web_media import post_form
from tests.integration.moderation.conftest import Browser

HIDDEN = 'class="media-sensitive"'


async def _set(browser: Browser, media_display: str, default_sensitive: bool = False) -> int:
    fields = {"media_display": media_display}
    if default_sensitive:
        fields["default_sensitive"] = "1"
    answer = await browser.post("/settings/preferences", fields, page="/settings/preferences")
    return answer.status_code


async def test_each_choice_changes_how_media_show(
    browser_factory: Callable[[], Browser], members: Members
) -> None:
    await members.create("alice")
    alice = browser_factory()
    await alice.sign_in("alice")
    for text, sensitive in (("calm picture", ""), ("gory picture", "1")):
        posted = await post_form(
            alice,
            {"text": text, "sensitive": sensitive},
            [("media", ("a.png", png_with_text(), "image/png"))],
        )
        assert posted.status_code == 303, posted.text

    default = (await alice.get("/home")).text
    assert default.count(HIDDEN) == 1
    assert "Sensitive media — show" in default
    assert await _set(alice, "show_all") == 303
    assert HIDDEN not in (await alice.get("/home")).text
    assert await _set(alice, "hide_all") == 303
    hidden = (await alice.get("/home")).text
    assert hidden.count(HIDDEN) == 2
    assert "Media hidden — show" in hidden
    assert await _set(alice, "everything") == 422
    assert (await alice.get("/settings/preferences")).text.count('value="hide_all" checked') == 1

    stranger = browser_factory()  # signed out: the default, whatever alice chose
    assert (await stranger.get("/@alice")).text.count(HIDDEN) == 1


async def test_apps_read_and_write_the_same_preferences(
    api: Api, browser_factory: Callable[[], Browser]
) -> None:
    alice = await api.member("alice")
    prefs = await api.call("GET", "/api/v1/preferences", alice)
    assert prefs["reading:expand:media"] == "default"
    assert prefs["posting:default:sensitive"] is False
    browser = browser_factory()
    await browser.sign_in("alice")
    assert await _set(browser, "hide_all", default_sensitive=True) == 303
    prefs = await api.call("GET", "/api/v1/preferences", alice)
    assert prefs["reading:expand:media"] == "hide_all"
    assert prefs["posting:default:sensitive"] is True
    me = await api.call(
        "GET", "/api/v1/accounts/verify_credentials", alice, schema="CredentialAccount"
    )
    assert me["source"]["sensitive"] is True
    post = await api.call("POST", "/api/v1/statuses", alice, json={"status": "defaults apply"})
    assert post["sensitive"] is True
    explicit = await api.call(
        "POST", "/api/v1/statuses", alice, json={"status": "not this one", "sensitive": False}
    )
    assert explicit["sensitive"] is False
    updated = await api.call(
        "PATCH", "/api/v1/accounts/update_credentials", alice,
        data={"source[sensitive]": "false"}, schema="CredentialAccount",
    )  # fmt: skip
    assert updated["source"]["sensitive"] is False
    assert (await api.call("GET", "/api/v1/preferences", alice))[
        "posting:default:sensitive"
    ] is False
