"""The thread context a mirrored post page shows, from the snapshot's public posts only."""

from __future__ import annotations

from datetime import UTC, datetime

from parley.web.mirror.source import MAX_DESCENDANTS, PostRow, Snapshot, digest

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def snapshot(parents: dict[int, int | None]) -> Snapshot:
    posts = {
        post_id: PostRow(post_id, 1, True, 1, parent, None, NOW, "s")
        for post_id, parent in parents.items()
    }
    children: dict[int, list[int]] = {}
    for post_id, parent in sorted(parents.items()):
        if parent in posts:
            children.setdefault(parent, []).append(post_id)
    return Snapshot(profiles=[], posts=posts, account_stamps={}, media_keys={}, children=children)


def test_ancestors_are_oldest_first_and_stop_at_a_post_that_is_not_public() -> None:
    # 2 replies to 1; 3 (not public, absent) is the parent of 4; 5 replies to 4.
    shape = snapshot({1: None, 2: 1, 4: 3, 5: 4})
    assert [p.id for p in shape.ancestors(shape.posts[2])] == [1]
    assert [p.id for p in shape.ancestors(shape.posts[5])] == [4]


def test_descendants_are_depth_first_with_their_depth() -> None:
    shape = snapshot({1: None, 2: 1, 3: 2, 4: 1, 5: 3})
    assert [(p.id, d) for p, d in shape.descendants(shape.posts[1])] == [
        (2, 1),
        (3, 2),
        (5, 3),
        (4, 1),
    ]


def test_a_reply_cycle_does_not_loop() -> None:
    shape = snapshot({1: 2, 2: 1})
    assert [p.id for p in shape.ancestors(shape.posts[1])] == [2]
    assert [p.id for p, _ in shape.descendants(shape.posts[1])] == [2]


def test_huge_threads_are_cut() -> None:
    shape = snapshot({1: None, **dict.fromkeys(range(2, MAX_DESCENDANTS + 50), 1)})
    assert len(shape.descendants(shape.posts[1])) == MAX_DESCENDANTS


def test_digest_is_stable_and_sensitive() -> None:
    assert digest("a", 1, NOW) == digest("a", 1, NOW)
    assert digest("a", 1) != digest("a", 2)
