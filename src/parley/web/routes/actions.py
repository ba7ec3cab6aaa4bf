"""One-click actions on a parley (upvote, echo, bookmark, pin and their undos) and poll votes.

Each is a plain form POST that redirects back (303); with htmx the same POST answers with just
the re-rendered action bar (or poll), so the page keeps its place and focus.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import NotFound
from parley.domain.interactions import service as interactions
from parley.domain.posts import polls
from parley.domain.posts import queries as posts
from parley.domain.posts import service as post_service
from parley.domain.posts.views import hydrate
from parley.web import forms
from parley.web.csrf import checked_form
from parley.web.routes.auth import safe_next
from parley.web.templating import is_htmx, render
from parley.web.viewer import require_viewer, runtime_of

SIMPLE: dict[str, Callable[..., Awaitable[object]]] = {
    "upvote": interactions.upvote_post,
    "unupvote": interactions.remove_upvote,
    "bookmark": interactions.bookmark_post,
    "unbookmark": interactions.remove_bookmark,
    "pin": interactions.pin_post,
    "unpin": interactions.unpin_post,
    "unecho": post_service.unecho_post,
}


async def act(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    name = request.path_params["action"]
    post_id = int(request.path_params["post_id"])
    if name != "echo" and name not in SIMPLE:
        raise NotFound("No such action")
    form = await checked_form(request)
    back = safe_next(forms.text(form, "next"))
    async with runtime.db.transaction() as session:
        if name == "echo":
            await post_service.echo_post(
                session, runtime.ctx, actor=viewer.account, post_id=post_id
            )
        else:
            await SIMPLE[name](session, actor=viewer.account, post_id=post_id)
    # The stream entry the action came from ("123" or "pin123"): its anchor and DOM ids.
    entry = "".join(c for c in forms.text(form, "entry") if c.isalnum())[:40]
    if not is_htmx(request):
        return RedirectResponse(f"{back}#post-{entry}" if entry else back, status_code=303)
    async with runtime.db.reader() as session:
        post = await posts.get_visible_post(session, viewer_id=viewer.account.id, post_id=post_id)
        view = (await hydrate(session, viewer.account.id, [post]))[0]
    return await render(
        request,
        "posts/_actions.html",
        {"view": view.shown, "entry_id": entry or post_id, "back_to": back},
    )


async def vote(request: Request) -> Response:
    viewer = await require_viewer(request)
    runtime = runtime_of(request)
    form = await checked_form(request)
    back = safe_next(forms.text(form, "next"))
    choices = [int(c) for c in forms.texts(form, "choices") if c.isdigit()]
    async with runtime.db.transaction() as session:
        poll = await polls.vote(
            session,
            voter=viewer.account,
            poll_id=int(request.path_params["poll_id"]),
            choices=choices,
        )
    if not is_htmx(request):
        return RedirectResponse(back, status_code=303)
    async with runtime.db.reader() as session:
        post = await posts.get_visible_post(
            session, viewer_id=viewer.account.id, post_id=poll.post_id
        )
        view = (await hydrate(session, viewer.account.id, [post]))[0]
    return await render(
        request, "posts/_poll.html", {"pv": view.poll, "poll_post": post, "back_to": back}
    )


routes = [
    Route("/posts/{post_id:int}/{action}", act, methods=["POST"]),
    Route("/polls/{poll_id:int}/votes", vote, methods=["POST"]),
]
