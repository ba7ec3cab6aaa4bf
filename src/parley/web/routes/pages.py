"""Pages that are not about one feature: the front page and /about."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from parley.domain.instance.service import list_rules
from parley.web.templating import render, site_info
from parley.web.viewer import current_viewer, one_reader, request_reader


async def front(request: Request) -> Response:
    if await current_viewer(request) is not None:
        return RedirectResponse("/home", status_code=303)
    return RedirectResponse("/about", status_code=303)


async def about(request: Request) -> Response:
    await current_viewer(request)  # first: it reads the settings' version for site_info
    async with request_reader(request) as session:
        info = await site_info(request, session)
        rules = await list_rules(session)
    notice = None
    if request.query_params.get("deleted"):
        notice = "Your account has been deleted. Thank you for having been part of it."
    return await render(request, "about.html", {"info": info, "rules": rules, "notice": notice})


routes = [Route("/", one_reader(front)), Route("/about", one_reader(about))]
