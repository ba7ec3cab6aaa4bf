"""Mastodon API routes, one module per family."""

from __future__ import annotations

from starlette.routing import BaseRoute

from parley.mastodon.routes import apps, oauth

ROUTES: list[BaseRoute] = [*apps.routes, *oauth.routes]
