"""Mastodon API routes, one module per family (fixed paths before `{id}` patterns)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from parley.mastodon.routes import (
    accounts,
    admin,
    apps,
    conversations,
    domain_blocks,
    empty_features,
    filters,
    followed_tags,
    grouped_notifications,
    instance,
    interactions,
    lists,
    media,
    notification_policy,
    notifications,
    oauth,
    relationships,
    reports,
    scheduled,
    search,
    statuses,
    timelines,
)

ROUTES: list[BaseRoute] = [
    *apps.routes,
    *oauth.routes,
    *instance.routes,
    *relationships.routes,
    *domain_blocks.routes,
    *empty_features.routes,
    *timelines.routes,
    *lists.routes,
    *accounts.routes,
    *statuses.routes,
    *interactions.routes,
    *notification_policy.routes,
    *grouped_notifications.routes,
    *notifications.routes,
    *search.routes,
    *followed_tags.routes,
    *filters.routes,
    *scheduled.routes,
    *conversations.routes,
    *media.routes,
    *reports.routes,
    *admin.routes,
]
