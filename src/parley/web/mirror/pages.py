"""Rendering the mirror's pages from the web UI's templates folder (templates/mirror/).

Paths inside the mirror (all relative, so the copy works from any path or file://):

    index.html                      the server, its members, the latest public parleys
    feeds/local.rss, local.atom     the local timeline
    users/<name>/index.html         a profile with its newest parleys
    users/<name>/page-<n>.html      older parleys; page 1 holds the oldest (pages stay stable)
    users/<name>/feed.rss, .atom    the member's parleys
    posts/<id>.html                 one parley with its public conversation
    static/parley.css               the web UI's stylesheet
    media/<key>                     attachments, avatars and headers from the local store
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from parley.domain.accounts.models import Account
from parley.domain.instance.service import InstanceInfo
from parley.domain.posts.models import Visibility
from parley.domain.posts.views import PostView
from parley.web.templating import build_environment

PAGE_SIZE = 20
HREF_RE = re.compile(r'href="([^"]+)"')


def profile_dir(account: Account) -> str:
    return f"users/{account.username_lower}"


def post_path(post_id: int) -> str:
    return f"posts/{post_id}.html"


def page_path(account: Account, number: int | None) -> str:
    return (
        f"{profile_dir(account)}/index.html"
        if number is None
        else (f"{profile_dir(account)}/page-{number}.html")
    )


@dataclass(slots=True)
class Links:
    """Where accounts, posts and media point from a mirror page."""

    domain: str
    profiles: dict[int, Account]  # local public profiles by id
    mirrored_posts: set[int]  # posts that have a page here
    public_posts: set[int]  # every public post the mirror knows (quotes are checked here)
    media_prefix: str  # the live store's URL prefix for media keys
    local_urls: dict[str, str]  # live URL of a local profile or post -> mirror path

    def account(self, account: Account, root: str) -> str:
        if account.id in self.profiles:
            return f"{root}{profile_dir(account)}/index.html"
        return account.url or account.uri

    def post(self, view: PostView, root: str) -> str:
        if view.post.id in self.mirrored_posts:
            return f"{root}{post_path(view.post.id)}"
        return view.post.url or view.post.uri

    def media(self, url: str | None, root: str) -> str | None:
        """A local store URL becomes the mirror's copy; remote images keep their address."""
        if not url:
            return None
        if self.media_prefix and url.startswith(self.media_prefix):
            return f"{root}media/{url[len(self.media_prefix) :]}"
        return url

    def content(self, view: PostView, root: str) -> Markup:
        """The post's HTML (built from escaped pieces by the domain) with links to this
        server's profiles and posts pointed at their mirror pages."""

        def swap(match: re.Match[str]) -> str:
            target = self.local_urls.get(match.group(1))
            return f'href="{root}{target}"' if target else match.group(0)

        return Markup(HREF_RE.sub(swap, view.post.content_html))  # noqa: S704

    def quote(self, view: PostView) -> PostView | None:
        """The quoted post, only when it is public too (hydrate allows unlisted)."""
        quote = view.quote
        if quote is None or quote.post.visibility != Visibility.PUBLIC:
            return None
        return quote if quote.post.id in self.public_posts else None

    def acct(self, account: Account) -> str:
        return account.acct()


def build_pages_environment(links: Links) -> Environment:
    env = build_environment()
    env.globals.update(
        content=links.content,
        href_account=links.account,
        href_post=links.post,
        media_href=links.media,
        shown_quote=links.quote,
        acct=links.acct,
    )
    return env


@dataclass(slots=True)
class PageRenderer:
    env: Environment
    site: InstanceInfo
    domain: str
    live_url: str

    def render(self, template: str, path: str, **context: Any) -> bytes:
        root = "../" * path.count("/")
        page = {
            "site": self.site,
            "domain": self.domain,
            "live_url": self.live_url,
            "root": root,
            **context,
        }
        return self.env.get_template(f"mirror/{template}").render(page).encode()
