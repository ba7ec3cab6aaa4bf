"""RSS 2.0 and Atom feeds, built as XML trees so they are always well formed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from parley.domain.posts.views import PostView

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
TITLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class FeedInfo:
    title: str
    description: str
    page_url: str  # the HTML page the feed stands for
    feed_url: str  # where this feed is served (rel="self")
    id: str  # a stable Atom id


def entry_title(view: PostView) -> str:
    post = view.post
    if post.spoiler_text:
        return f"Content warning: {post.spoiler_text}"
    text = " ".join(post.text.split())
    if not text:
        return f"Parley by @{view.account.acct()}"
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _when(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _updated(view: PostView) -> datetime:
    return _when(view.post.edited_at or view.post.created_at)


def rss(info: FeedInfo, views: list[PostView], link_of: Callable[[PostView], str]) -> bytes:
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = info.title
    ET.SubElement(channel, "link").text = info.page_url
    ET.SubElement(channel, "description").text = info.description or info.title
    ET.SubElement(
        channel,
        f"{{{ATOM_NS}}}link",
        {"href": info.feed_url, "rel": "self", "type": "application/rss+xml"},
    )
    ET.SubElement(channel, "generator").text = "Parley mirror"
    if views:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(
            max(_updated(v) for v in views)
        )
    for view in views:
        item = ET.SubElement(channel, "item")
        link = link_of(view)
        ET.SubElement(item, "title").text = entry_title(view)
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = view.post.uri
        ET.SubElement(item, "pubDate").text = format_datetime(_when(view.post.created_at))
        # No <author>: RSS 2.0 wants an e-mail address there, and members' are private.
        ET.SubElement(item, "description").text = view.post.content_html
        for tag in view.tags:
            ET.SubElement(item, "category").text = tag.name
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def atom(info: FeedInfo, views: list[PostView], link_of: Callable[[PostView], str]) -> bytes:
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, name: str, attrs: dict[str, str] | None = None) -> ET.Element:
        return ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs or {})

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id").text = info.id
    sub(feed, "title").text = info.title
    sub(feed, "subtitle").text = info.description or info.title
    updated = max((_updated(v) for v in views), default=datetime(1970, 1, 1, tzinfo=UTC))
    sub(feed, "updated").text = updated.isoformat()
    sub(feed, "link", {"rel": "alternate", "type": "text/html", "href": info.page_url})
    sub(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": info.feed_url})
    sub(feed, "generator").text = "Parley mirror"
    for view in views:
        entry = sub(feed, "entry")
        sub(entry, "id").text = view.post.uri
        sub(entry, "title").text = entry_title(view)
        sub(entry, "updated").text = _updated(view).isoformat()
        sub(entry, "published").text = _when(view.post.created_at).isoformat()
        author = sub(entry, "author")
        sub(author, "name").text = view.account.display_name or view.account.username
        sub(author, "uri").text = view.account.url or view.account.uri
        sub(entry, "link", {"rel": "alternate", "type": "text/html", "href": link_of(view)})
        sub(entry, "content", {"type": "html"}).text = view.post.content_html
        for tag in view.tags:
            sub(entry, "category", {"term": tag.name})
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
