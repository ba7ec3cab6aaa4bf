"""Every page answers the right people: members see it, visitors are sent to sign in."""

from __future__ import annotations

import pytest

from tests.conftest import Members
from tests.integration.web.conftest import Browser

MEMBER_PAGES = [
    "/home",
    "/local",
    "/notifications",
    "/bookmarks",
    "/upvoted",
    "/lists",
    "/follow_requests",
    "/compose",
    "/settings/profile",
    "/settings/account",
    "/settings/two_factor",
    "/settings/delete",
    "/@alice",
    "/@alice/with_comments",
    "/@alice/media",
    "/@alice/followers",
    "/@alice/following",
    "/tags/anything",
    "/about",
]
PUBLIC_PAGES = [
    "/local",
    "/about",
    "/@alice",
    "/@alice/followers",
    "/tags/anything",
    "/auth/sign_in",
    "/auth/sign_up",
    "/auth/password/forgot",
]
PRIVATE_PAGES = [p for p in MEMBER_PAGES if p not in PUBLIC_PAGES and not p.startswith("/@")]


@pytest.fixture
async def alice(browser: Browser, members: Members) -> Browser:
    await members.create("alice")
    assert (await browser.sign_in("alice")).status_code == 303
    return browser


@pytest.mark.parametrize("path", MEMBER_PAGES)
async def test_member_pages_render(alice: Browser, path: str) -> None:
    page = await alice.get(path)
    assert page.status_code == 200, page.text[:500]
    assert '<main id="main"' in page.text
    assert 'aria-label="Main"' in page.text
    assert 'class="skip-link"' in page.text


@pytest.mark.parametrize("path", PUBLIC_PAGES)
async def test_public_pages_render_for_visitors(
    browser_factory: object, members: Members, path: str
) -> None:
    await members.create("alice")
    visitor: Browser = browser_factory()  # type: ignore[operator]
    assert (await visitor.get(path)).status_code == 200


@pytest.mark.parametrize("path", PRIVATE_PAGES)
async def test_private_pages_send_visitors_to_sign_in(browser: Browser, path: str) -> None:
    response = await browser.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/sign_in?next=")


async def test_signed_in_member_skips_the_sign_in_page(alice: Browser) -> None:
    response = await alice.get("/auth/sign_in")
    assert response.status_code == 303
    assert response.headers["location"] == "/home"


async def test_every_input_has_a_label(alice: Browser) -> None:
    """Each visible form control is named by a <label for> (or wrapped in one)."""
    import re

    for path in ("/home", "/settings/profile", "/settings/account", "/lists", "/compose"):
        html = (await alice.get(path)).text
        for control in re.finditer(r"<(input|textarea|select)\b([^>]*)>", html):
            attributes = control.group(2)
            if re.search(r'type="(hidden|submit)"|\bhidden\b', attributes):
                continue
            ident = re.search(r'\bid="([^"]+)"', attributes)
            wrapped = html.rfind("<label", 0, control.start()) > html.rfind(
                "</label>", 0, control.start()
            )
            assert wrapped or (ident and f'for="{ident.group(1)}"' in html), (
                path,
                control.group(0),
            )
