"""What services need from the outside world, built once by create_app and passed in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parley.config import Settings
from parley.domain.accounts.passwords import Passwords
from parley.domain.portability.codec import ArchiveCodec
from parley.infra.ratelimit import RateLimiter

# Takes `user@host` or an https URL; returns the id of the (fetched and stored) account.
RemoteAccountResolver = Callable[[str], Awaitable[int | None]]


@dataclass(frozen=True, slots=True)
class DomainContext:
    settings: Settings
    passwords: Passwords
    # Set by the composition root when federation is wired in; None means local-only.
    resolve_remote_account: RemoteAccountResolver | None = None
    # The same, but always fetching the actor again (a move checks its current aliases).
    refresh_remote_account: RemoteAccountResolver | None = None
    # Renders and reads ActivityPub for account archives (see parley.domain.portability).
    archive_codec: ArchiveCodec | None = None
    # Counts sign-in failures per account name and second-factor failures per member.
    limiter: RateLimiter | None = None

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @classmethod
    def from_settings(cls, settings: Settings) -> DomainContext:
        return cls(
            settings=settings,
            passwords=Passwords(
                time_cost=settings.password_time_cost,
                memory_cost_kib=settings.password_memory_cost_kib,
            ),
            limiter=RateLimiter.from_settings(settings),
        )
