"""What portability needs from the federation adapter, reached through the DomainContext.

The domain renders no ActivityPub: an archive's actor and Create activities are written by
the adapter, and archived Notes are read (validated, sanitized) by it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.accounts.models import Account
from parley.domain.posts.models import Post


@dataclass(slots=True)
class ArchivedMedia:
    path: str  # where the file sits inside the archive
    media_type: str = ""
    description: str = ""


@dataclass(slots=True)
class ArchivedPost:
    """One of the member's own posts read back from an archive's outbox."""

    uri: str
    content_html: str
    text: str
    visibility: str
    published: datetime
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to: str | None = None
    media: list[ArchivedMedia] = field(default_factory=list)


class ArchiveCodec(Protocol):
    def render_actor(self, account: Account, *, moved_to_uri: str | None) -> dict[str, Any]: ...

    async def render_creates(
        self, session: AsyncSession, posts: list[Post]
    ) -> list[dict[str, Any]]:
        """A Create activity per post, in order (one page loaded at once)."""
        ...

    def parse_note(self, activity: dict[str, Any]) -> ArchivedPost | None:
        """The post a Create activity of an archive holds; None for anything else.

        Raises ValueError when the activity is a Create whose Note cannot be accepted."""
        ...
