"""Rendering member text with this instance's accounts and tag pages."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain import identity
from parley.domain.accounts.models import Account
from parley.domain.context import DomainContext
from parley.domain.posts.formatting import Formatted, MentionTarget, mention_candidates, render_text


def _own_domain(ctx: DomainContext, domain: str | None) -> str | None:
    """None for this instance's own domain, so `@bob@ourhost` is the local bob."""
    if domain is None or domain.lower() == ctx.settings.domain:
        return None
    return domain.lower()


async def resolve_mentions(
    session: AsyncSession, ctx: DomainContext, text: str
) -> dict[tuple[str, str | None], Account]:
    """Known accounts mentioned in `text`, keyed by (lower username, domain or None)."""
    wanted = {(user.lower(), _own_domain(ctx, domain)) for user, domain in mention_candidates(text)}
    if not wanted:
        return {}
    local = [user for user, domain in wanted if domain is None]
    remote = [(user, domain) for user, domain in wanted if domain is not None]
    conditions: list[ColumnElement[bool]] = []
    if local:
        conditions.append(Account.username_lower.in_(local) & Account.domain.is_(None))
    if remote:
        conditions.append(tuple_(Account.username_lower, Account.domain).in_(remote))
    rows = await session.scalars(
        select(Account).where(or_(*conditions), Account.suspended_at.is_(None))
    )
    return {(a.username_lower, a.domain): a for a in rows}


async def render_member_text(session: AsyncSession, ctx: DomainContext, text: str) -> Formatted:
    """Render text, linking mentions of known accounts; returns the mentioned accounts too."""
    accounts = await resolve_mentions(session, ctx, text)

    def resolve(user: str, domain: str | None) -> MentionTarget | None:
        account = accounts.get((user.lower(), _own_domain(ctx, domain)))
        if account is None:
            return None
        return MentionTarget(
            acct=account.acct(), url=account.url or account.uri, username=account.username
        )

    return render_text(
        text, tag_url=lambda name: identity.tag_url(ctx.base_url, name), resolve=resolve
    )


async def mentioned_accounts(
    session: AsyncSession, ctx: DomainContext, formatted: Formatted
) -> list[Account]:
    """The Account rows behind a rendering's mentions, in order (one query, not one each)."""
    if not formatted.mentions:
        return []
    wanted: list[tuple[str, str | None]] = []
    for mention in formatted.mentions:
        username, _, domain = mention.acct.partition("@")
        wanted.append((username.lower(), domain.lower() or None))
    local = [user for user, domain in wanted if domain is None]
    remote = [(user, domain) for user, domain in wanted if domain is not None]
    conditions: list[ColumnElement[bool]] = []
    if local:
        conditions.append(Account.username_lower.in_(local) & Account.domain.is_(None))
    if remote:
        conditions.append(tuple_(Account.username_lower, Account.domain).in_(remote))
    rows = await session.scalars(select(Account).where(or_(*conditions)))
    found = {(account.username_lower, account.domain): account for account in rows}
    return [found[key] for key in wanted if key in found]
