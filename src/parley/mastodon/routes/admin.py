"""The Mastodon admin API (reports, account actions, domain blocks), for moderation apps.

Filled in below; the role checks are the domain's (parley.domain.moderation.permissions).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
