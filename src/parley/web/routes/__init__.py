"""The web UI as one Starlette sub-application."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from parley.runtime import Runtime
from parley.web.errors import HANDLERS
from parley.web.routes import (
    actions,
    auth,
    autoflags,
    conversations,
    filters,
    invites,
    lists,
    media,
    moderation,
    moderation_admin,
    notifications,
    oauth,
    pages,
    policies,
    portability,
    posts,
    profiles,
    protection_admin,
    relationships,
    reports,
    search,
    security,
    settings,
    tags,
    timelines,
)
from parley.web.templating import build_environment

STATIC = Path(__file__).parent.parent / "static"


def build_web_app(runtime: Runtime) -> Starlette:
    app = Starlette(
        routes=[
            *auth.routes,
            *oauth.routes,
            *pages.routes,
            *settings.routes,
            *invites.routes,
            *filters.routes,
            *portability.routes,
            *conversations.routes,
            *security.routes,
            *timelines.routes,
            *search.routes,
            *tags.routes,
            *posts.routes,
            *actions.routes,
            *relationships.routes,
            *notifications.routes,
            *lists.routes,
            *media.routes,
            *reports.routes,
            *moderation.routes,
            *moderation_admin.routes,
            *autoflags.routes,
            *protection_admin.routes,
            *policies.routes,
            # Last: /@{acct}/{tab} would otherwise shadow the other /@ pages.
            *profiles.routes,
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers=HANDLERS,
    )
    app.state.runtime = runtime
    app.state.jinja = build_environment()
    return app
