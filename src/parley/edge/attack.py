"""Whether under-attack mode is on, as this process sees it, and the automatic trigger.

The state lives in the database (parley.domain.instance.attack_mode) and is re-read at most
every REFRESH_SECONDS. The trigger counts anonymous page requests per second in this process;
when their average over the window exceeds the threshold, it stores "on until now + N
minutes", which every process then sees. Load that continues keeps extending it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from parley.config import Settings
from parley.db.engine import Database
from parley.domain.instance.attack_mode import AttackMode, extend_automatic, get_attack_mode

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
EXTEND_EVERY_SECONDS = 60.0


class AttackState:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.mode = AttackMode()
        self._read_at = -REFRESH_SECONDS
        self._extended_at = -EXTEND_EVERY_SECONDS
        # (second, requests in that second), newest last
        self._seconds: deque[list[int]] = deque(maxlen=settings.under_attack_auto_window)

    async def active(self) -> bool:
        now = time.monotonic()
        if now - self._read_at >= REFRESH_SECONDS:
            self._read_at = now
            async with self.db.reader() as session:
                self.mode = await get_attack_mode(session)
        return self.mode.active()

    def refresh_soon(self) -> None:
        """Forget the cached state (after an admin changes it in this process)."""
        self._read_at = -REFRESH_SECONDS

    def rate(self, now: float | None = None) -> float:
        """Anonymous page requests per second over the window, as counted in this process."""
        second = int(now if now is not None else time.monotonic())
        window = self.settings.under_attack_auto_window
        recent = sum(n for s, n in self._seconds if second - s < window)
        return recent / window

    async def note_anonymous_page(self, now: float | None = None) -> None:
        """Count one anonymous page request; switch automatic mode on when over the threshold."""
        threshold = self.settings.under_attack_auto_rps
        if threshold <= 0:
            return
        moment = now if now is not None else time.monotonic()
        second = int(moment)
        if self._seconds and self._seconds[-1][0] == second:
            self._seconds[-1][1] += 1
        else:
            self._seconds.append([second, 1])
        if self.rate(moment) <= threshold or moment - self._extended_at < EXTEND_EVERY_SECONDS:
            return
        self._extended_at = moment
        until = datetime.now(UTC) + timedelta(minutes=self.settings.under_attack_auto_minutes)
        async with self.db.transaction() as session:
            self.mode = await extend_automatic(session, until=until)
        log.warning(
            "under-attack mode switched on automatically",
            extra={"rate": round(self.rate(moment), 1), "until": until.isoformat()},
        )
