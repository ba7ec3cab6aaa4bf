"""A short per-process memory of bearer tokens: a warm API request reads no token rows.

Looking a token up costs two queries and a transaction, as much as the rest of a timeline
page. What is kept is only what the token stands for (`Grant`: app, scopes, member IDs), never
the member's profile or settings, which the endpoints that need them load fresh
(parley.mastodon.views.acting_account / acting_user). An entry lives TTL_SECONDS at most, and
the whole memory is dropped sooner (parley.mastodon.watch) when this process commits a change
that can end a token, or another process announces one: a token revoked or deleted (POST
/oauth/revoke, signing out everywhere, a password change or reset), an account suspended or
deleted, a user disabled, approved or not, deleted, an app deleted. These are rare, so
dropping everything is cheaper than knowing which token. A change made by a `parley admin`
command is seen within TTL_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from parley.domain.accounts.models import Account, User
from parley.domain.oauth.models import OAuthAccessToken, OAuthApplication
from parley.infra.pubsub import Broker
from parley.mastodon.watch import Memory, Watch

TTL_SECONDS = 10.0
CHANNEL = "oauth.grants.changed"

# Columns whose change can end a token; a deleted row of these tables can, too.
WATCH = Watch(
    CHANNEL,
    {
        OAuthAccessToken.__tablename__: frozenset(
            {"revoked_at", "token_hash", "account_id", "application_id", "scopes"}
        ),
        Account.__tablename__: frozenset({"suspended_at"}),
        User.__tablename__: frozenset({"disabled", "approved", "account_id"}),
        OAuthApplication.__tablename__: frozenset({"scopes"}),
    },
    added=False,
)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a live token stands for. `application` is detached (read its columns only)."""

    token_id: int
    scopes: tuple[str, ...]
    application: OAuthApplication
    account_id: int | None
    user_id: int | None


GrantCache = Memory[str, Grant]  # by the token's digest


def grant_cache(broker: Broker, engine: Engine, *, ttl: float = TTL_SECONDS) -> GrantCache:
    """The memory for the app on `engine`'s database; its commits are announced on `broker`."""
    WATCH.announce_on(broker, engine)
    return Memory(WATCH, broker, ttl=ttl)
