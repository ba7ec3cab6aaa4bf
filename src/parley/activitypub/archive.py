"""ActivityPub for account archives: the codec parley.domain.portability uses.

Out: the actor and one Create per post, as our outbox renders them. In: Create activities
of a Mastodon (or Parley) archive's outbox.json, read with the same validation and HTML
sanitizing as federated posts; attachments point at files inside the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.activitypub import activities
from parley.activitypub.from_ap import POST_TYPES, InvalidDocument, parse_note
from parley.activitypub.to_ap import render_actor, render_note, with_context
from parley.activitypub.vocab import as_list, text_of, type_of
from parley.domain.accounts.models import Account
from parley.domain.portability.codec import ArchivedMedia, ArchivedPost
from parley.domain.posts.models import Post
from parley.domain.posts.views import hydrate

MAX_ATTACHMENTS = 4


def _archived_media(note: dict[str, Any]) -> list[ArchivedMedia]:
    found = []
    for item in as_list(note.get("attachment")):
        if not isinstance(item, dict):
            continue
        url = item.get("url")
        if isinstance(url, dict):
            url = url.get("href")
        # Files travel inside the archive under relative paths; web addresses are not ours.
        if not isinstance(url, str) or "://" in url or ".." in url or not url.strip("/"):
            continue
        found.append(
            ArchivedMedia(
                path=url.lstrip("/"),
                media_type=text_of(item.get("mediaType"))[:100],
                description=text_of(item.get("name") or item.get("summary"))[:1500],
            )
        )
    return found[:MAX_ATTACHMENTS]


@dataclass(frozen=True, slots=True)
class ArchiveCodec:
    base_url: str

    def render_actor(self, account: Account, *, moved_to_uri: str | None) -> dict[str, Any]:
        return with_context(
            render_actor(account, base_url=self.base_url, moved_to_uri=moved_to_uri)
        )

    async def render_creates(
        self, session: AsyncSession, posts: list[Post]
    ) -> list[dict[str, Any]]:
        views = await hydrate(session, None, posts)
        parents = {p.in_reply_to_id for p in posts if p.in_reply_to_id is not None}
        uris: dict[int, str] = {}
        if parents:
            rows = await session.execute(select(Post.id, Post.uri).where(Post.id.in_(parents)))
            uris = {row[0]: row[1] for row in rows}
        return [
            activities.create(
                render_note(
                    view,
                    base_url=self.base_url,
                    in_reply_to=uris.get(view.post.in_reply_to_id or 0),
                )
            )
            for view in views
        ]

    def parse_note(self, activity: dict[str, Any]) -> ArchivedPost | None:
        obj = activity.get("object")
        if type_of(activity) != "Create" or not isinstance(obj, dict):
            return None
        if type_of(obj) not in POST_TYPES:
            return None
        try:
            note = parse_note(obj)
        except InvalidDocument as exc:
            raise ValueError(str(exc)) from exc
        if note.published is None:
            raise ValueError(f"{note.uri} has no publication date")
        return ArchivedPost(
            uri=note.uri,
            content_html=note.content_html,
            text=note.text,
            visibility=note.visibility,
            published=note.published,
            spoiler_text=note.summary,
            sensitive=note.sensitive,
            language=note.language,
            in_reply_to=note.in_reply_to,
            media=_archived_media(obj),
        )
