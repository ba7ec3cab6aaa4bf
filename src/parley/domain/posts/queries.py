"""Reading posts: one post, a conversation, an edit history. Always through the visibility rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.errors import Forbidden, NotFound
from parley.domain.posts.models import Poll, Post, PostEdit
from parley.domain.posts.visibility import can_see, visible_to
from parley.domain.relationships.models import Block, Mute
from parley.domain.relationships.queries import domain_blocked_account_ids

MAX_THREAD_POSTS = 4096  # a conversation bigger than this is shown in part
MAX_OUTSIDE_ANCESTORS = 20
NOT_FOUND = "Record not found"


async def get_visible_post(session: AsyncSession, *, viewer_id: int | None, post_id: int) -> Post:
    """The post, if it exists and the viewer may see it; NotFound otherwise (no difference)."""
    post = await session.get(Post, post_id)
    if post is None or not await can_see(session, viewer_id, post):
        raise NotFound(NOT_FOUND)
    return post


async def get_own_post(session: AsyncSession, *, account_id: int, post_id: int) -> Post:
    """The account's own post; Forbidden for someone else's post they can see, else NotFound."""
    post = await session.get(Post, post_id)
    if post is None:
        raise NotFound(NOT_FOUND)
    if post.account_id != account_id:
        if await can_see(session, account_id, post):
            raise Forbidden("This post is not yours")
        raise NotFound(NOT_FOUND)
    return post


async def find_echo(session: AsyncSession, *, account_id: int, original_id: int) -> Post | None:
    """The account's echo of a post, if they echoed it."""
    return await session.scalar(
        select(Post).where(Post.account_id == account_id, Post.echo_of_id == original_id).limit(1)
    )


async def find_original(session: AsyncSession, post_id: int | None) -> Post | None:
    """The post, or for an echo the post it echoes (what one replies to, quotes, echoes)."""
    post = None if post_id is None else await session.get(Post, post_id)
    if post is not None and post.echo_of_id is not None:
        return await session.get(Post, post.echo_of_id)
    return post


async def find_poll(session: AsyncSession, *, post_id: int) -> Poll | None:
    return await session.scalar(select(Poll).where(Poll.post_id == post_id))


@dataclass(slots=True)
class Thread:
    """A conversation around one post: what it replies to (oldest first) and what replies."""

    post: Post
    ancestors: list[Post] = field(default_factory=list)
    descendants: list[Post] = field(default_factory=list)  # depth first, oldest reply first


async def hidden_authors(session: AsyncSession, viewer_id: int | None) -> set[int]:
    """Accounts whose posts the viewer does not want around a conversation: blocked, muted, or
    on a server the viewer hid."""
    if viewer_id is None:
        return set()
    blocked = select(Block.target_id).where(Block.account_id == viewer_id)
    muted = select(Mute.target_id).where(
        Mute.account_id == viewer_id, or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow())
    )
    rows = await session.scalars(blocked.union(muted, domain_blocked_account_ids(viewer_id)))
    return set(rows)


async def get_thread(session: AsyncSession, *, viewer_id: int | None, post_id: int) -> Thread:
    """The post with its ancestors and descendants the viewer may see.

    The whole conversation is read by thread_id in two queries (its shape, then the visible
    posts), so depth costs nothing. Replies under a post the viewer cannot see are still
    shown, as Mastodon does; posts of accounts the viewer blocks or mutes are left out,
    except the post asked for.
    """
    post = await get_visible_post(session, viewer_id=viewer_id, post_id=post_id)
    if post.echo_of_id is not None:  # an echo's conversation is its original's
        post = await get_visible_post(session, viewer_id=viewer_id, post_id=post.echo_of_id)
    thread_id = post.thread_id if post.thread_id is not None else post.id
    in_thread = or_(Post.thread_id == thread_id, Post.id == thread_id)
    shape = await session.execute(
        select(Post.id, Post.in_reply_to_id)
        .where(in_thread, Post.echo_of_id.is_(None))
        .order_by(Post.id)
        .limit(MAX_THREAD_POSTS)
    )
    parent_of: dict[int, int | None] = {}
    children: dict[int, list[int]] = defaultdict(list)
    for child_id, parent_id in shape:
        parent_of[child_id] = parent_id
        if parent_id is not None:
            children[parent_id].append(child_id)
    visible = {
        p.id: p
        for p in await session.scalars(
            select(Post)
            .where(in_thread, Post.echo_of_id.is_(None), visible_to(viewer_id))
            .order_by(Post.id)
            .limit(MAX_THREAD_POSTS)
        )
    }
    hidden = await hidden_authors(session, viewer_id)

    def shown(candidate_id: int) -> Post | None:
        candidate = visible.get(candidate_id)
        if candidate is None or candidate.account_id in hidden:
            return None
        return candidate

    ancestors: list[Post] = []
    seen = {post.id}
    cursor = post.in_reply_to_id
    outside = 0
    while cursor is not None and cursor not in seen:
        seen.add(cursor)
        if cursor in parent_of:
            ancestor = shown(cursor)
            cursor = parent_of[cursor]
        elif outside < MAX_OUTSIDE_ANCESTORS:
            # A parent outside the thread (a remote reply stored before its parent was):
            # followed one by one, a few levels at most.
            outside += 1
            ancestor = await session.get(Post, cursor)
            if ancestor is None:
                break
            cursor = ancestor.in_reply_to_id
            if ancestor.account_id in hidden or not await can_see(session, viewer_id, ancestor):
                ancestor = None
        else:
            break
        if ancestor is not None:
            ancestors.append(ancestor)
    ancestors.reverse()

    descendants: list[Post] = []
    stack = list(reversed(children.get(post.id, [])))
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        reply = shown(current)
        if reply is not None:
            descendants.append(reply)
        stack.extend(reversed(children.get(current, [])))
    return Thread(post=post, ancestors=ancestors, descendants=descendants)


async def list_edits(
    session: AsyncSession, *, viewer_id: int | None, post_id: int
) -> list[PostEdit]:
    """Every version of the post, oldest first; an unedited post has one (unsaved) version."""
    post = await get_visible_post(session, viewer_id=viewer_id, post_id=post_id)
    edits = list(
        await session.scalars(
            select(PostEdit).where(PostEdit.post_id == post.id).order_by(PostEdit.id)
        )
    )
    if edits:
        return edits
    poll = await find_poll(session, post_id=post.id)
    return [
        PostEdit(
            post_id=post.id,
            text=post.text,
            content_html=post.content_html,
            spoiler_text=post.spoiler_text,
            sensitive=post.sensitive,
            poll_options=None if poll is None else [o["title"] for o in poll.options],
            created_at=post.created_at,
        )
    ]
