"""Commands on posts: write, edit, delete, echo. Each runs inside the caller's transaction.

Nothing here commits: if any step fails the caller's transaction rolls back and nothing of
the post (rows, counters, feed entries, notifications, jobs) remains.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain import identity
from parley.domain.accounts.models import Account, Role, User
from parley.domain.context import DomainContext
from parley.domain.errors import Forbidden, Invalid, NotFound
from parley.domain.events import Event, record
from parley.domain.media.models import MediaAttachment
from parley.domain.media.service import attach_media
from parley.domain.moderation.autoflag.screening import screen_post
from parley.domain.notifications.models import NotificationType
from parley.domain.notifications.service import notify
from parley.domain.posts.content import (
    check_author,
    check_language,
    check_not_moved,
    check_text,
    instance_limits,
    render,
    replace_mentions_and_tags,
)
from parley.domain.posts.counting import add_to_counter
from parley.domain.posts.echoes import echo_post, forget_post, remove_echo, unecho_post
from parley.domain.posts.models import Mention, Post, PostEdit, Visibility
from parley.domain.posts.polls import (
    PollSpec,
    add_poll,
    check_poll,
    check_poll_options,
    replace_poll_options,
)
from parley.domain.posts.queries import NOT_FOUND, find_original, find_poll, get_own_post
from parley.domain.posts.visibility import can_see
from parley.domain.posts.writing import (
    new_post,
    publish_post,
    settle_new_post,
    uncount_on_parents,
)

STAFF = (Role.OWNER, Role.ADMIN, Role.MODERATOR)


async def create_post(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    author: Account,
    text: str,
    spoiler_text: str = "",
    visibility: str | None = None,
    sensitive: bool = False,
    language: str | None = None,
    in_reply_to_id: int | None = None,
    quote_of_id: int | None = None,
    poll: PollSpec | None = None,
    application: str | None = None,
    uri: str | None = None,
    url: str | None = None,
    media_ids: list[int] | None = None,
    allow_processing_media: bool = False,
) -> Post:
    """Write a post (a reply when `in_reply_to_id`, a quote when `quote_of_id`).

    `uri` and `url` are for remote authors (federation); local posts get this instance's.
    """
    check_author(author)
    check_not_moved(author)
    info = await instance_limits(session, ctx)
    text, spoiler_text = text.strip(), spoiler_text.strip()
    if poll is not None:
        poll = check_poll(poll, info)
    check_text(text, spoiler_text, info, has_poll=poll is not None, has_media=bool(media_ids))
    language = check_language(language)
    preferences = await session.scalar(select(User).where(User.account_id == author.id))
    if visibility is None:
        visibility = preferences.default_visibility if preferences else Visibility.PUBLIC
    if visibility not in Visibility.ALL:
        raise Invalid("visibility", f"Visibility must be one of {', '.join(Visibility.ALL)}")
    if language is None and preferences is not None:
        language = preferences.default_language

    parent = await find_original(session, in_reply_to_id)
    if in_reply_to_id is not None and (
        parent is None or not await can_see(session, author.id, parent)
    ):
        raise NotFound("The post you are replying to does not exist")
    quoted = await find_original(session, quote_of_id)
    if quote_of_id is not None:
        if quoted is None or not await can_see(session, author.id, quoted):
            raise NotFound("The post you are quoting does not exist")
        if quoted.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
            raise Forbidden("Only public and unlisted posts can be quoted")

    post_id = new_id()
    if author.is_local:
        uri = identity.post_uri(ctx.base_url, author.username, post_id)
        url = identity.post_url(ctx.base_url, author.username, post_id)
    elif uri is None:
        raise Invalid("uri", "A remote post needs its URI")
    formatted, mentioned = await render(session, ctx, text)
    post = new_post(
        post_id=post_id,
        author=author,
        parent=parent,
        quoted=quoted,
        uri=uri,
        url=url,
        text=text,
        content_html=formatted.html,
        spoiler_text=spoiler_text,
        sensitive=sensitive or bool(spoiler_text),
        visibility=visibility,
        language=language,
        application=application,
    )

    async def attach(post: Post) -> None:
        if poll is not None:
            await add_poll(session, post=post, spec=poll)
        if media_ids:
            await attach_media(
                session,
                account_id=author.id,
                post_id=post.id,
                media_ids=media_ids,
                allow_processing=allow_processing_media,
                require_description=bool(preferences and preferences.require_media_description),
            )
            post.has_media = True

    return await settle_new_post(
        session,
        post=post,
        author=author,
        formatted=formatted,
        mentioned=mentioned,
        parent=parent,
        quoted=quoted,
        attach=attach,
    )


async def edit_post(
    session: AsyncSession,
    ctx: DomainContext,
    *,
    editor: Account,
    post_id: int,
    text: str,
    spoiler_text: str = "",
    sensitive: bool = False,
    language: str | None = None,
    poll_options: list[str] | None = None,
    media_ids: list[int] | None = None,
) -> Post:
    """Change one's post, keeping every version (the original too) in its history.

    `language` None keeps the post's language; `poll_options` replaces the options (and, if
    they changed, clears the votes). An edit that changes nothing records nothing.
    """
    check_author(editor)
    post = await get_own_post(session, account_id=editor.id, post_id=post_id)
    if post.echo_of_id is not None:
        raise Invalid(None, "An echo cannot be edited")
    info = await instance_limits(session, ctx)
    poll = await find_poll(session, post_id=post.id)
    if poll_options is not None:
        if poll is None:
            raise Invalid("poll", "This post has no poll")
        poll_options = check_poll_options(poll_options, info)
    text, spoiler_text = text.strip(), spoiler_text.strip()
    old_media = list(
        await session.scalars(
            select(MediaAttachment.id)
            .where(MediaAttachment.post_id == post.id)
            .order_by(MediaAttachment.position)
        )
    )
    new_media = old_media if media_ids is None else list(dict.fromkeys(media_ids))
    check_text(text, spoiler_text, info, has_poll=poll is not None, has_media=bool(new_media))
    language = check_language(language) or post.language
    sensitive = sensitive or bool(spoiler_text)
    old_options = None if poll is None else [option["title"] for option in poll.options]
    new_options = old_options if poll_options is None else poll_options
    if (text, spoiler_text, sensitive, language, new_options) == (
        post.text,
        post.spoiler_text,
        post.sensitive,
        post.language,
        old_options,
    ) and new_media == old_media:
        return post

    first_edit = await session.scalar(select(PostEdit.id).where(PostEdit.post_id == post.id))
    if first_edit is None:  # keep the original as version one, as Mastodon does
        session.add(_version(post, old_options, at=post.created_at))
    formatted, mentioned = await render(session, ctx, text)
    before = set(
        await session.scalars(select(Mention.account_id).where(Mention.post_id == post.id))
    )
    post.text = text
    post.content_html = formatted.html
    post.spoiler_text = spoiler_text
    post.sensitive = sensitive
    post.language = language
    post.edited_at = utcnow()
    if poll is not None and new_options is not None and new_options != old_options:
        await replace_poll_options(session, poll=poll, options=new_options)
    if new_media != old_media:
        await attach_media(session, account_id=editor.id, post_id=post.id, media_ids=new_media)
        post.has_media = bool(new_media)
    await replace_mentions_and_tags(session, post=post, formatted=formatted, mentioned=mentioned)
    session.add(_version(post, new_options, at=post.edited_at))
    await session.flush()
    if await screen_post(session, post=post, author=editor, edited=True):
        return post  # held: no one else sees it, so no one is told of the edit

    echoers = await session.scalars(
        select(Post.account_id).where(Post.echo_of_id == post.id).distinct()
    )
    for echoer_id in echoers.all():
        await notify(
            session,
            recipient_id=echoer_id,
            from_account_id=editor.id,
            type=NotificationType.POST_EDITED,
            post_id=post.id,
        )
    await record(session, Event.POST_EDITED, post_id=post.id)
    for account in mentioned:
        if account.id not in before:
            await notify(
                session,
                recipient_id=account.id,
                from_account_id=editor.id,
                type=NotificationType.MENTION,
                post_id=post.id,
            )
    return post


def _version(post: Post, poll_options: list[str] | None, *, at: datetime) -> PostEdit:
    # An explicit id, so versions sort by id in the order they were written.
    return PostEdit(
        id=new_id(),
        post_id=post.id,
        text=post.text,
        content_html=post.content_html,
        spoiler_text=post.spoiler_text,
        sensitive=post.sensitive,
        poll_options=poll_options,
        created_at=at,
    )


async def delete_post(
    session: AsyncSession, *, actor: Account, post_id: int, as_moderator: bool = False
) -> Post:
    """Delete a post for good: the author, or staff acting as moderators.

    The database removes what hangs off it (edits, mentions, tags, poll, upvotes, bookmarks,
    pins, feed entries, notifications, echoes). The returned Post is detached but keeps its
    fields, so a caller can offer "delete and redraft".
    """
    post = await session.get(Post, post_id)
    if post is None:
        raise NotFound(NOT_FOUND)
    if post.account_id != actor.id and not (as_moderator and await _is_staff(session, actor)):
        post = await get_own_post(session, account_id=actor.id, post_id=post_id)
    if post.echo_of_id is not None:
        await remove_echo(session, post)
        return post

    echoes = await session.execute(
        select(Post.id, Post.account_id).where(Post.echo_of_id == post.id)
    )
    echoers: dict[int, int] = {}
    for echo_id, echoer_id in echoes:
        echoers[echoer_id] = echoers.get(echoer_id, 0) + 1
        forget_post(session, echo_id)
    for echoer_id, count in echoers.items():
        await add_to_counter(session, Account.posts_count, echoer_id, -count)
    await add_to_counter(session, Account.posts_count, post.account_id, -1)
    await uncount_on_parents(session, post)
    # Federation must know who could see it, and mentions go with the post.
    mentioned_ids = list(
        await session.scalars(select(Mention.account_id).where(Mention.post_id == post.id))
    )
    await record(
        session,
        Event.POST_DELETED,
        post_id=post.id,
        account_id=post.account_id,
        uri=post.uri,
        visibility=post.visibility,
        mentioned_ids=mentioned_ids,
    )
    await session.flush()
    await session.execute(
        delete(Post).where(Post.id == post.id).execution_options(synchronize_session=False)
    )
    forget_post(session, post.id)
    return post


async def _is_staff(session: AsyncSession, account: Account) -> bool:
    role = await session.scalar(select(User.role).where(User.account_id == account.id))
    return role in STAFF


__all__ = [
    "create_post",
    "delete_post",
    "echo_post",
    "edit_post",
    "publish_post",
    "unecho_post",
]
