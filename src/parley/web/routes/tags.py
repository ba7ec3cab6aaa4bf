"""Following a hashtag from its page (/tags/{name})."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.errors import NotFound
from parley.domain.tags import queries as tags
from parley.domain.tags import service
from parley.web.csrf import checked_form
from parley.web.templating import is_htmx, render
from parley.web.viewer import require_viewer, runtime_of


async def follow_state(
    session: AsyncSession, viewer_id: int | None, name: str
) -> dict[str, Any] | None:
    """What the tag page's follow button shows; None for a name that cannot be a tag."""
    try:
        bare = service.normalise(name)
    except NotFound:
        return None
    following = False
    if viewer_id is not None:
        try:
            tag = await tags.get_tag(session, bare)
        except NotFound:
            pass
        else:
            following = bool(await tags.followed_tag_ids(session, viewer_id, [tag.id]))
    return {"name": bare, "following": following}


async def act(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.path_params["action"] not in ("follow", "unfollow"):
        raise NotFound("No such action")
    await checked_form(request)
    name = str(request.path_params["name"])
    following = request.path_params["action"] == "follow"
    async with runtime_of(request).db.transaction() as session:
        command = service.follow_tag if following else service.unfollow_tag
        tag = await command(session, account=viewer.account, name=name)
    if not is_htmx(request):
        return RedirectResponse(f"/tags/{tag.name}", status_code=303)
    return await render(
        request,
        "tags/_follow_button.html",
        {"tag_follow": {"name": tag.name, "following": following}},
    )


routes = [Route("/tags/{name}/{action}", act, methods=["POST"])]
