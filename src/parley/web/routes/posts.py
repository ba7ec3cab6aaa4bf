"""Writing and reading parleys: the composer, a thread, edits and their history, deletion."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from parley.domain.media.models import MediaAttachment
from parley.domain.media.queries import list_post_media
from parley.domain.media.service import discard_files, update_media
from parley.domain.posts import queries as posts
from parley.domain.posts import service
from parley.domain.posts.polls import PollSpec
from parley.domain.posts.views import PostView, hydrate
from parley.infra.storage import open_store
from parley.web import forms, uploads
from parley.web.csrf import checked_form
from parley.web.routes.auth import safe_next
from parley.web.routes.filters import apply_filters
from parley.web.templating import render
from parley.web.threads import depths
from parley.web.viewer import current_viewer, require_viewer, runtime_of

DEFAULT_POLL_SECONDS = 86400


def _post_id(request: Request) -> int:
    return int(request.path_params["post_id"])


def _canonical(view: PostView) -> str:
    return f"/@{view.account.acct()}/{view.post.id}"


def _check_author(request: Request, view: PostView) -> None:
    """The URL's @name must be the author's: another name in front of an ID is not a page."""
    if request.path_params["acct"].lower() != view.account.acct().lower():
        raise NotFound("Record not found")


def _compose_values(form: FormData) -> dict[str, Any]:
    return {
        "text": forms.text(form, "text"),
        "spoiler_text": forms.text(form, "spoiler_text"),
        "visibility": forms.text(form, "visibility") or None,
        "poll_options": [o for o in forms.texts(form, "poll_option") if o.strip()],
        "poll_expires_in": forms.text(form, "poll_expires_in"),
        "poll_multiple": forms.flag(form, "poll_multiple"),
        "sensitive": forms.flag(form, "sensitive"),
        "next": safe_next(forms.text(form, "next")),
    }


def _poll(values: dict[str, Any]) -> PollSpec | None:
    if not values["poll_options"]:
        return None
    seconds = values["poll_expires_in"]
    if seconds and not seconds.isdigit():
        raise Invalid("poll", "Choose how long the poll runs")
    return PollSpec(
        options=values["poll_options"],
        expires_in=int(seconds) if seconds else DEFAULT_POLL_SECONDS,
        multiple=values["poll_multiple"],
    )


async def create(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    form = await checked_form(request)
    values = _compose_values(form)
    reply_to = forms.integer(form, "in_reply_to_id")
    quote_of = forms.integer(form, "quote_of_id")
    store = open_store(runtime.settings)
    uploaded: list[MediaAttachment] = []
    try:
        async with runtime.db.transaction() as session:
            media_ids = await uploads.upload_all(
                session,
                store,
                runtime,
                account_id=viewer.account.id,
                chosen=uploads.chosen_files(form, "media"),
                uploaded=uploaded,
            )
            post = await service.create_post(
                session,
                runtime.ctx,
                author=viewer.account,
                text=values["text"],
                spoiler_text=values["spoiler_text"],
                visibility=values["visibility"],
                sensitive=values["sensitive"],
                in_reply_to_id=reply_to,
                quote_of_id=quote_of,
                poll=_poll(values),
                media_ids=media_ids,
                # A video still transcoding shows as "processing" until the worker is done.
                allow_processing_media=True,
            )
    except (Invalid, Conflict, Forbidden) as exc:
        await discard_files(store, uploaded)  # the rows rolled back; their files go too
        return await _compose_page(
            request, values=values, error=exc, reply_to=reply_to, quote_of=quote_of
        )
    finally:
        await form.close()
    if post.held:  # not in any timeline: its own page tells the author why
        return RedirectResponse(f"/@{viewer.account.acct()}/{post.id}", status_code=303)
    if reply_to is not None:
        return RedirectResponse(f"{values['next']}#post-{post.id}", status_code=303)
    return RedirectResponse(values["next"], status_code=303)


async def _compose_page(
    request: Request,
    *,
    values: dict[str, Any],
    error: DomainError | None,
    reply_to: int | None = None,
    quote_of: int | None = None,
) -> Response:
    """The composer on its own page: after a refused post, and for echo with comment."""
    viewer = await require_viewer(request)
    context_id = reply_to or quote_of
    context_view = None
    if context_id is not None:
        async with runtime_of(request).db.reader() as session:
            post = await posts.get_visible_post(
                session, viewer_id=viewer.account.id, post_id=context_id
            )
            context_view = (await hydrate(session, viewer.account.id, [post]))[0]
    return await render(
        request,
        "posts/compose.html",
        {
            "compose": values,
            "error": error,
            "reply_to": reply_to,
            "quote_of": quote_of,
            "context_view": context_view,
        },
        # Refused (suspended, frozen, moved away, a private quote): 403; bad input: 422.
        status_code=200 if error is None else 403 if isinstance(error, Forbidden) else 422,
    )


async def compose(request: Request) -> Response:
    return await _compose_page(request, values={"next": "/home"}, error=None)


async def quote(request: Request) -> Response:
    viewer = await require_viewer(request)
    post_id = _post_id(request)
    async with runtime_of(request).db.reader() as session:
        post = await posts.get_visible_post(session, viewer_id=viewer.account.id, post_id=post_id)
        view = (await hydrate(session, viewer.account.id, [post]))[0]
    _check_author(request, view)
    return await _compose_page(
        request, values={"next": "/home"}, error=None, quote_of=view.shown.post.id
    )


async def detail(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    async with runtime_of(request).db.reader() as session:
        thread = await posts.get_thread(session, viewer_id=viewer_id, post_id=_post_id(request))
        views = await hydrate(
            session, viewer_id, [*thread.ancestors, thread.post, *thread.descendants]
        )
    ancestors = views[: len(thread.ancestors)]
    focused = views[len(thread.ancestors)]
    replies = views[len(thread.ancestors) + 1 :]
    if thread.post.id != _post_id(request) or (
        request.path_params["acct"].lower() != focused.account.acct().lower()
    ):
        return RedirectResponse(_canonical(focused), status_code=301)
    # The viewer's "thread" filters apply around the parley they asked for, not to it.
    ancestors, warned_above = await apply_filters(request, ancestors, "thread")
    replies, warned = await apply_filters(request, replies, "thread")
    return await render(
        request,
        "posts/detail.html",
        {
            "ancestors": ancestors,
            "focused": focused,
            "replies": replies,
            "depths": depths(thread.post.id, thread.descendants),
            "filtered": {**warned_above, **warned},
            "compose": {"next": _canonical(focused)},
        },
    )


async def edit(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    post_id = _post_id(request)
    error: DomainError | None = None
    async with runtime.db.reader() as session:
        post = await posts.get_own_post(session, account_id=viewer.account.id, post_id=post_id)
        attachments = await list_post_media(session, post.id)
    url = f"/@{viewer.account.username}/{post.id}"
    values: dict[str, Any] = {
        "text": post.text,
        "spoiler_text": post.spoiler_text,
        "sensitive": post.sensitive,
    }
    if request.method == "POST":
        form = await checked_form(request)
        values = {
            "text": forms.text(form, "text"),
            "spoiler_text": forms.text(form, "spoiler_text"),
            "sensitive": forms.flag(form, "sensitive"),
        }
        kept = [m for m in attachments if not forms.flag(form, f"media_remove_{m.id}")]
        try:
            async with runtime.db.transaction() as session:
                for item in kept:  # alt text edits; unchanged ones change nothing
                    await update_media(
                        session,
                        account_id=viewer.account.id,
                        media_id=item.id,
                        description=forms.text(form, f"media_description_{item.id}"),
                    )
                await service.edit_post(
                    session,
                    runtime.ctx,
                    editor=viewer.account,
                    post_id=post_id,
                    text=values["text"],
                    spoiler_text=values["spoiler_text"],
                    sensitive=values["sensitive"],
                    media_ids=[m.id for m in kept],
                )
            return RedirectResponse(url, status_code=303)
        except (Invalid, Conflict) as exc:
            error = exc
    return await render(
        request,
        "posts/edit.html",
        {"post": post, "values": values, "error": error, "url": url, "attachments": attachments},
        status_code=422 if error else 200,
    )


async def history(request: Request) -> Response:
    viewer = await current_viewer(request)
    viewer_id = viewer.account.id if viewer else None
    post_id = _post_id(request)
    async with runtime_of(request).db.reader() as session:
        versions = await posts.list_edits(session, viewer_id=viewer_id, post_id=post_id)
        post = await posts.get_visible_post(session, viewer_id=viewer_id, post_id=post_id)
        view = (await hydrate(session, viewer_id, [post]))[0]
    _check_author(request, view)
    return await render(
        request,
        "posts/history.html",
        {"view": view, "versions": list(reversed(versions)), "url": _canonical(view)},
    )


async def delete(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    post_id = _post_id(request)
    if request.method == "POST":
        await checked_form(request)
        async with runtime.db.transaction() as session:
            await service.delete_post(session, actor=viewer.account, post_id=post_id)
        return RedirectResponse(f"/@{viewer.account.username}", status_code=303)
    async with runtime.db.reader() as session:
        post = await posts.get_own_post(session, account_id=viewer.account.id, post_id=post_id)
        view = (await hydrate(session, viewer.account.id, [post]))[0]
    return await render(request, "posts/delete.html", {"view": view})


routes = [
    Route("/posts", create, methods=["POST"]),
    Route("/compose", compose),
    Route("/@{acct}/{post_id:int}", detail),
    Route("/@{acct}/{post_id:int}/quote", quote),
    Route("/@{acct}/{post_id:int}/edit", edit, methods=["GET", "POST"]),
    Route("/@{acct}/{post_id:int}/history", history),
    Route("/@{acct}/{post_id:int}/delete", delete, methods=["GET", "POST"]),
]
