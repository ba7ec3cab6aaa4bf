"""The main journey in a real browser: two members meet, talk, and one blocks the other."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser


def _context(chromium: Browser, server: str, viewport: dict[str, int], **kw: Any) -> BrowserContext:
    context = chromium.new_context(base_url=server, viewport=viewport, **kw)
    context.set_default_timeout(10_000)
    return context


def sign_up(page: Page, username: str) -> None:
    page.goto("/auth/sign_up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("E-mail").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/home$"))


def test_two_members_post_follow_comment_echo_upvote_and_block(
    chromium: Browser, server: str
) -> None:
    alice_ctx = _context(chromium, server, DESKTOP)
    bob_ctx = _context(chromium, server, DESKTOP)
    alice, bob = alice_ctx.new_page(), bob_ctx.new_page()

    sign_up(alice, "alice")
    alice.get_by_label("Write a parley").fill("Hello from Alice! Anyone here likes #tea?")
    expect(alice.locator("#compose-counter")).to_have_text(str(1000 - 41))
    alice.get_by_role("button", name="Parley", exact=True).click()
    expect(alice.locator("article.post").first).to_contain_text("Hello from Alice!")

    sign_up(bob, "bob")
    bob.goto("/@alice")
    assert bob.evaluate("typeof htmx") == "object"
    bob.evaluate("window.notReloaded = true")
    bob.get_by_role("button", name="Follow", exact=True).click()
    expect(bob.get_by_role("button", name="Unfollow")).to_be_visible()
    assert bob.evaluate("window.notReloaded") is True  # swapped in place by htmx
    expect(bob.get_by_role("button", name="Unfollow")).to_be_focused()

    bob.goto("/home")
    post = bob.locator("article.post", has_text="Hello from Alice!")
    expect(post).to_be_visible()
    post.get_by_role("link", name=re.compile("open parley")).click()
    expect(bob).to_have_url(re.compile(r"/@alice/\d+$"))
    bob.get_by_label("Comment on this parley").fill("Always tea, Alice.")
    bob.get_by_role("button", name="Comment", exact=True).click()
    expect(bob.locator("article.post.reply")).to_contain_text("Always tea, Alice.")

    focused = bob.locator("article.post.focused")
    upvote = focused.get_by_role("button", name="Upvote")
    upvote.click()
    expect(focused.get_by_role("button", name="Upvote")).to_have_attribute("aria-pressed", "true")
    focused.locator("summary.action.echo").click()
    focused.get_by_role("button", name="Echo", exact=True).click()
    expect(focused.locator("summary.action.echo")).to_have_attribute("data-on", "true")
    expect(focused.locator(".action.upvote .count")).to_have_text("1")

    alice.goto("/notifications")
    expect(alice.locator(".notification").first).to_be_visible()
    expect(alice.get_by_text("upvoted your parley")).to_be_visible()
    expect(alice.get_by_text("commented on your parley")).to_be_visible()

    bob.goto("/@alice")
    bob.locator("summary[aria-label='More options for @alice']").click()
    bob.get_by_role("button", name="Block @alice").click()
    expect(bob.get_by_role("button", name="Unblock").first).to_be_visible()
    bob.goto("/home")
    expect(bob.get_by_text("Hello from Alice!")).to_have_count(0)
    alice_ctx.close()
    bob_ctx.close()


def test_keyboard_only_sign_up_sign_in_and_skip_link(chromium: Browser, server: str) -> None:
    context = _context(chromium, server, DESKTOP)
    page = context.new_page()
    sign_up(page, "carol")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.locator("form[action='/auth/sign_out'] button").last.click()

    page.goto("/auth/sign_in")
    expect(page.get_by_label("E-mail or username")).to_be_focused()  # autofocus
    page.keyboard.type("carol")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/home$"))
    context.close()


def test_screenshots_for_review(chromium: Browser, server: str) -> None:
    """Key pages at desktop and phone widths, light and dark, for a human to look at."""
    setup = _context(chromium, server, DESKTOP)
    alice, bob = setup.new_page(), _context(chromium, server, DESKTOP).new_page()
    sign_up(alice, "alice")
    alice.goto("/settings/profile")
    alice.get_by_label("Display name").fill("Alice Liddell")
    alice.get_by_label("Bio").fill("Curious. Falls down rabbit holes. Tea at four. #wonderland")
    alice.get_by_label("Label 1").fill("Pronouns")
    alice.get_by_label("Value 1").fill("she/her")
    alice.get_by_label("Label 2").fill("Website")
    alice.get_by_label("Value 2").fill("https://example.org/alice")
    alice.get_by_role("button", name="Save profile").click()
    for text in (
        "Just found a tiny door behind the curtain. Should I open it? #wonderland",
        "Tea party at four o'clock sharp. The Hatter insists on riddles.",
    ):
        alice.goto("/home")
        alice.get_by_label("Write a parley").fill(text)
        alice.get_by_role("button", name="Parley", exact=True).click()
    alice.goto("/home")
    alice.get_by_label("Write a parley").fill("Which way should I go?")
    alice.locator("summary", has_text="Poll").click()
    alice.get_by_placeholder("Option 1").fill("This way")
    alice.get_by_placeholder("Option 2").fill("That way")
    alice.get_by_role("button", name="Parley", exact=True).click()
    alice.get_by_label("Write a parley").fill("The ending of the book surprised me.")
    alice.locator("summary", has_text="Content warning").click()
    alice.get_by_label("Warning shown before the text").fill("Book spoilers")
    alice.get_by_role("button", name="Parley", exact=True).click()

    sign_up(bob, "bob")
    bob.goto("/@alice")
    bob.get_by_role("button", name="Follow", exact=True).click()
    expect(bob.get_by_role("button", name="Unfollow")).to_be_visible()
    bob.goto("/home")
    first = bob.locator("article.post", has_text="tiny door")
    first.get_by_role("button", name="Upvote").click()
    first.get_by_role("link", name=re.compile("open parley")).click()
    bob.get_by_label("Comment on this parley").fill("Open it! What could go wrong?")
    bob.get_by_role("button", name="Comment", exact=True).click()
    thread_url, _, comment_anchor = bob.url.partition("#")
    comment_path = "/@bob/" + comment_anchor.removeprefix("post-")
    tea = bob.locator("article.post", has_text="Tea party")
    bob.goto("/home")
    poll = bob.locator("article.post", has_text="Which way")
    poll.get_by_label("That way").check()
    poll.get_by_role("button", name="Vote", exact=True).click()
    expect(poll.locator(".poll-result").nth(1)).to_contain_text("100%")
    tea.locator("summary.action.echo").click()
    tea.get_by_role("button", name="Echo", exact=True).click()
    expect(tea.locator("summary.action.echo")).to_have_attribute("data-on", "true")
    bob.goto(thread_url + "/quote")
    bob.get_by_label("Your comment").fill("This is how it starts.")
    bob.get_by_role("button", name="Echo", exact=True).click()
    bob.goto("/home")
    bob.get_by_label("Write a parley").fill("Following @alice on her adventures. #wonderland")
    bob.get_by_role("button", name="Parley", exact=True).click()
    as_bob = bob.context.cookies()
    as_alice = alice.context.cookies()
    pages = {
        "home": (as_bob, "/home"),
        "profile": (as_bob, "/@alice"),
        "thread": (as_bob, thread_url.replace(server, "")),
        "settings": (as_bob, "/settings/profile"),
        "notifications": (as_alice, "/notifications"),
    }
    bob.goto("/lists")
    bob.get_by_label("Title").fill("Wonderland")
    bob.get_by_role("button", name="Create list").click()
    lists_url = bob.url.replace(server, "")
    bob.goto("/settings/two_factor")
    bob.get_by_role("button", name="Set up two-factor sign-in").click()
    shot(bob, "two-factor-setup-desktop-light")
    extra = {
        "quote": thread_url.replace(server, "") + "/quote",
        "list-edit": lists_url,
        "tag": "/tags/wonderland",
        "not-found": "/@nobody",
        "comment": comment_path,
    }
    for name, path in extra.items():
        bob.goto(path)
        shot(bob, f"{name}-desktop-light")
    alice.goto("/@alice")
    alice.locator("article.post", has_text="Tea party").get_by_role(
        "link", name=re.compile("open parley")
    ).click()
    alice.goto(alice.url + "/edit")
    shot(alice, "edit-desktop-light")

    for scheme in ("light", "dark"):
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = _context(chromium, server, viewport, color_scheme=scheme)
            anonymous = context.new_page()
            anonymous.goto("/auth/sign_up")
            shot(anonymous, f"sign-up-{label}-{scheme}")
            page = context.new_page()
            for name, (cookies, path) in pages.items():
                context.clear_cookies()
                context.add_cookies(cookies)  # type: ignore[arg-type]
                page.goto(path)
                shot(page, f"{name}-{label}-{scheme}")
            context.close()
