"""Brute-force protection for credentials: failed sign-ins per account name (every door that
takes a password: web sign-in, the OAuth password grant) and wrong second-factor codes per
member. Per-address limits on the same doors are applied at the edge (parley.edge)."""

from __future__ import annotations

from parley.domain.context import DomainContext
from parley.domain.errors import RateLimited
from parley.infra.ratelimit import Limit

SIGN_IN_MESSAGE = "Too many failed sign-in attempts for this account; try again later"
TWO_FACTOR_MESSAGE = "Too many wrong codes; try again later"


def sign_in_key(login: str, user_id: int | None) -> str:
    """The count a sign-in attempt goes to: the member it names, whichever way it is spelled
    (username, "@username", e-mail address, any case), else the login as normalised."""
    if user_id is not None:
        return f"user:{user_id}"
    return "login:" + login.strip().lstrip("@").lower()


async def _require(ctx: DomainContext, limit: Limit, key: str, message: str) -> None:
    if ctx.limiter is None:
        return
    verdict = await ctx.limiter.peek(limit, key)
    if not verdict.allowed:
        raise RateLimited(message, verdict.retry_after)


async def check_sign_in(ctx: DomainContext, key: str) -> None:
    """Refuse (before any password is checked) once this account (`sign_in_key`) failed too
    often."""
    if ctx.limiter is not None:
        limit = ctx.limiter.limits.sign_in_account
        await _require(ctx, limit, key, SIGN_IN_MESSAGE)


async def note_failed_sign_in(ctx: DomainContext, key: str) -> None:
    if ctx.limiter is not None:
        await ctx.limiter.hit(ctx.limiter.limits.sign_in_account, key)


async def check_second_factor(ctx: DomainContext, user_id: int) -> None:
    if ctx.limiter is not None:
        await _require(ctx, ctx.limiter.limits.two_factor, str(user_id), TWO_FACTOR_MESSAGE)


async def note_failed_second_factor(ctx: DomainContext, user_id: int) -> None:
    if ctx.limiter is not None:
        await ctx.limiter.hit(ctx.limiter.limits.two_factor, str(user_id))
