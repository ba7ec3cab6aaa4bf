"""The moderation queue and tools (staff only)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
