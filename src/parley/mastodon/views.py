"""Helpers shared by the route modules: the path ID, the page request, the acting account."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from parley.domain.accounts.models import Account, User
from parley.domain.errors import NotFound
from parley.domain.pagination import PageRequest
from parley.domain.portability.queries import moved_targets, moved_to_in
from parley.domain.posts.models import Post
from parley.domain.posts.views import hydrate
from parley.mastodon import entities
from parley.mastodon.auth import Member
from parley.mastodon.entities import Entity
from parley.mastodon.filtering import filtered_statuses
from parley.mastodon.params import Params, parse_id


def path_id(request: Request, name: str = "id") -> int:
    return parse_id(request.path_params.get(name))


def page_of(params: Params, *, max_limit: int = 40, default_limit: int = 20) -> PageRequest:
    return PageRequest.parse(
        max_id=params.string("max_id"),
        since_id=params.string("since_id"),
        min_id=params.string("min_id"),
        limit=params.string("limit"),
        max_limit=max_limit,
        default_limit=default_limit,
    )


async def acting_account(session: AsyncSession, member: Member) -> Account:
    """The caller's account, loaded in this session so services can change it."""
    account = await session.get(Account, member.id)
    if account is None:
        raise NotFound("Record not found")
    return account


async def acting_user(session: AsyncSession, member: Member) -> User:
    """The caller's user row (settings, role), loaded in this session."""
    user = await session.get(User, member.user_id)
    if user is None:
        raise NotFound("Record not found")
    return user


async def render_accounts(
    session: AsyncSession, base_url: str, accounts: list[Account]
) -> list[Entity]:
    """Account entities for a page of accounts, with `moved` for those that moved (the new
    accounts come in one query for the page)."""
    moved = await moved_targets(session, accounts)
    return [entities.account(base_url, a, moved_to=moved_to_in(a, moved)) for a in accounts]


async def render_statuses(
    session: AsyncSession,
    base_url: str,
    viewer_id: int | None,
    posts: list[Post],
    *,
    filter_context: str | None = None,
) -> list[Entity]:
    """Status entities for posts the viewer may see, built from one hydrated page.

    With `filter_context` (home, public, thread, account), the viewer's filters apply:
    `filtered` is set and posts a "hide" filter matches are left out.
    """
    views = await hydrate(session, viewer_id, posts)
    if filter_context is not None and viewer_id is not None:
        return await filtered_statuses(session, base_url, viewer_id, views, filter_context)
    rendered: entities.Rendered = {}
    return [entities.status(base_url, v, viewer_id=viewer_id, rendered=rendered) for v in views]


async def render_status(
    session: AsyncSession, base_url: str, viewer_id: int | None, post: Post
) -> Entity:
    (entity,) = await render_statuses(session, base_url, viewer_id, [post])
    return entity
