"""The ActivityPub side of archives and moves, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from parley.activitypub.archive import ArchiveCodec
from parley.activitypub.moves import render_move
from parley.activitypub.to_ap import render_actor
from parley.domain.accounts.models import Account

CODEC = ArchiveCodec(base_url="https://parley.test")


def _create(**note: Any) -> dict[str, Any]:
    return {
        "type": "Create",
        "object": {
            "id": "https://old.example/users/a/statuses/1",
            "type": "Note",
            "attributedTo": "https://old.example/users/a",
            "content": "<p>hi <script>alert(1)</script></p>",
            "to": ["https://old.example/users/a/followers"],
            "published": "2021-03-04T05:06:07Z",
            **note,
        },
    }


def test_an_archived_note_is_sanitized_and_keeps_its_date_and_audience() -> None:
    post = CODEC.parse_note(_create(summary="spoiler"))
    assert post is not None
    assert "<script>" not in post.content_html
    assert post.published == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert post.visibility == "private"
    assert (post.spoiler_text, post.sensitive) == ("spoiler", True)


def test_only_files_inside_the_archive_are_attached() -> None:
    post = CODEC.parse_note(
        _create(
            attachment=[
                {"type": "Document", "url": "/media_attachments/files/1/a.png", "name": "alt"},
                {"type": "Document", "url": "https://tracker.example/pixel.png"},
                {"type": "Document", "url": "/../../etc/passwd"},
                "not an object",
            ]
        )
    )
    assert post is not None
    assert [(m.path, m.description) for m in post.media] == [
        ("media_attachments/files/1/a.png", "alt")
    ]


def test_other_activities_are_skipped_and_bad_notes_refused() -> None:
    assert CODEC.parse_note({"type": "Announce", "object": "https://x.example/1"}) is None
    assert CODEC.parse_note({"type": "Create", "object": "https://x.example/1"}) is None
    with pytest.raises(ValueError, match="publication date"):
        CODEC.parse_note(_create(published="yesterday"))
    with pytest.raises(ValueError, match="not a post"):
        CODEC.parse_note(_create(id="not a url"))


def _local(name: str, **fields: Any) -> Account:
    return Account(
        id=1,
        username=name,
        username_lower=name,
        uri=f"https://parley.test/users/{name}",
        display_name="",
        note_html="",
        fields=[],
        locked=False,
        bot=False,
        discoverable=True,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        **fields,
    )


def test_a_moved_actor_and_its_move_activity() -> None:
    old = _local("old", also_known_as=["https://elsewhere.example/users/me"], moved_to_id=7)
    actor = render_actor(
        old, base_url="https://parley.test", moved_to_uri="https://new.example/users/me"
    )
    assert actor["movedTo"] == "https://new.example/users/me"
    assert actor["alsoKnownAs"] == ["https://elsewhere.example/users/me"]
    move = render_move(origin=old, target_uri="https://new.example/users/me")
    assert move["type"] == "Move"
    assert move["actor"] == move["object"] == old.uri
    assert move["target"] == "https://new.example/users/me"
    assert "movedTo" not in render_actor(_local("stays"), base_url="https://parley.test")
