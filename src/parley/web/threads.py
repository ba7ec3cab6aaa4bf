"""How far each comment in a thread is indented: its distance from the focused post."""

from __future__ import annotations

from parley.domain.posts.models import Post

MAX_DEPTH = 5  # deeper replies line up with the fifth level, so phones keep room for text


def depths(root_id: int, descendants: list[Post]) -> dict[int, int]:
    """Depth of each descendant (1 = a direct comment); replies under hidden posts get 1."""
    depth: dict[int, int] = {root_id: 0}
    for post in descendants:  # depth first, so a parent always comes before its replies
        parent = depth.get(post.in_reply_to_id) if post.in_reply_to_id is not None else None
        depth[post.id] = min((parent if parent is not None else 0) + 1, MAX_DEPTH)
    depth.pop(root_id)
    return depth
