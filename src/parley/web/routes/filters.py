"""Filters in the web UI: /settings/filters to manage them, and applying them to streams
(a "warn" match is shown collapsed behind "Filtered: <title>", a "hide" match is left out)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import DomainError, Invalid, NotFound
from parley.domain.filters import queries, service
from parley.domain.filters.matching import hides
from parley.domain.filters.models import FilterAction, FilterContext
from parley.domain.filters.service import KeywordChange
from parley.domain.posts.views import PostView
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.templating import render
from parley.web.viewer import (
    Viewer,
    current_viewer,
    request_reader,
    require_viewer,
    runtime_of,
    viewer_has_filters,
)

CONTEXTS = {
    FilterContext.HOME: "Home and lists",
    FilterContext.NOTIFICATIONS: "Notifications",
    FilterContext.PUBLIC: "Local and hashtag streams",
    FilterContext.THREAD: "Conversations",
    FilterContext.ACCOUNT: "Profiles",
}
ACTIONS = {
    FilterAction.WARN: "Show collapsed, with the filter's title",
    FilterAction.HIDE: "Hide completely",
}
EXPIRIES = {
    "": "Never",
    "1800": "30 minutes",
    "3600": "1 hour",
    "43200": "12 hours",
    "86400": "1 day",
    "604800": "1 week",
}


async def apply_filters(
    request: Request, entries: list[PostView], context: str
) -> tuple[list[PostView], dict[int, str]]:
    """The entries left after "hide" filters, and the "Filtered: ..." title per warned post."""
    viewer = await current_viewer(request)
    if viewer is None or not entries or not viewer_has_filters(request):
        return entries, {}
    async with request_reader(request) as session:
        active = await queries.active_filters(session, viewer.account.id)
    if not active:
        return entries, {}
    kept, warned = [], {}
    for view in entries:
        matches = queries.matches_for(active, view, context)
        if hides(matches):
            continue
        if matches:
            warned[view.post.id] = ", ".join(m.filter.title for m in matches)
        kept.append(view)
    return kept, warned


def _keywords(form: FormData) -> list[str]:
    lines = (line.strip() for line in forms.text(form, "keywords").splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def _expires_in(form: FormData) -> int | None:
    value = forms.text(form, "expires_in")
    if value not in EXPIRIES:
        raise Invalid("expires_in", "Choose when the filter ends")
    return int(value) if value else None


async def _page(
    request: Request,
    viewer: Viewer,
    template: str,
    extra: dict[str, Any],
    error: DomainError | None = None,
) -> Response:
    async with runtime_of(request).db.reader() as session:
        mine = await queries.list_filters(session, viewer.account.id)
        keywords = await queries.keywords_of(session, [f.id for f in mine])
    context = {
        "filters": mine,
        "keywords": keywords,
        "contexts": CONTEXTS,
        "actions": ACTIONS,
        "expiries": EXPIRIES,
        "error": error,
        "notice": "Filter saved." if request.query_params.get("saved") else None,
        **extra,
    }
    return await render(request, template, context, status_code=422 if error else 200)


async def index(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "GET":
        return await _page(request, viewer, "filters/index.html", {"form": None})
    form = await checked_form(request)
    try:
        async with runtime_of(request).db.transaction() as session:
            await service.create_filter(
                session,
                account=viewer.account,
                title=forms.text(form, "title"),
                context=forms.texts(form, "context"),
                action=forms.text(form, "action") or FilterAction.WARN,
                expires_in=_expires_in(form),
                keywords=[
                    KeywordChange(keyword=k, whole_word=forms.flag(form, "whole_word"))
                    for k in _keywords(form)
                ],
            )
    except DomainError as exc:
        return await _page(request, viewer, "filters/index.html", {"form": form}, exc)
    return RedirectResponse("/settings/filters?saved=1", status_code=303)


async def edit(request: Request) -> Response:
    viewer = await require_viewer(request)
    filter_id = int(request.path_params["filter_id"])
    async with runtime_of(request).db.reader() as session:
        found = await queries.get_filter(session, viewer.account.id, filter_id)
        existing = (await queries.keywords_of(session, [found.id]))[found.id]
    extra = {"filter": found, "filter_keywords": existing, "form": None}
    if request.method == "GET":
        return await _page(request, viewer, "filters/edit.html", extra)
    form = await checked_form(request)
    wanted = _keywords(form)
    whole = forms.flag(form, "whole_word")
    by_word = {k.keyword: k for k in existing}
    changes = [KeywordChange(id=k.id, destroy=True) for k in existing if k.keyword not in wanted]
    changes += [
        KeywordChange(id=by_word[w].id, whole_word=whole)
        if w in by_word
        else KeywordChange(keyword=w, whole_word=whole)
        for w in wanted
    ]
    keep_expiry = forms.text(form, "expires_in") == "keep"
    try:
        expires_in = None if keep_expiry else _expires_in(form)
        async with runtime_of(request).db.transaction() as session:
            await service.update_filter(
                session,
                account=viewer.account,
                filter_id=found.id,
                title=forms.text(form, "title"),
                context=forms.texts(form, "context"),
                action=forms.text(form, "action") or FilterAction.WARN,
                expires_in=expires_in,
                change_expiry=not keep_expiry,
                keywords=changes,
            )
    except NotFound:
        raise
    except DomainError as exc:
        return await _page(request, viewer, "filters/edit.html", {**extra, "form": form}, exc)
    return RedirectResponse("/settings/filters?saved=1", status_code=303)


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    await checked_form(request)
    async with runtime_of(request).db.transaction() as session:
        await service.delete_filter(
            session, account=viewer.account, filter_id=int(request.path_params["filter_id"])
        )
    return RedirectResponse("/settings/filters", status_code=303)


routes = [
    Route("/settings/filters", index, methods=["GET", "POST"]),
    Route("/settings/filters/{filter_id:int}", edit, methods=["GET", "POST"]),
    Route("/settings/filters/{filter_id:int}/delete", delete, methods=["POST"]),
]
