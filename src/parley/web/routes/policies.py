"""The public policy pages: moderation transparency (monthly numbers and blocked domains),
terms of service and privacy policy. No sign-in needed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.instance.service import get_instance_info, list_rules
from parley.domain.moderation import blocks, policies, queries
from parley.web.templating import render
from parley.web.viewer import runtime_of


async def transparency(request: Request) -> Response:
    async with runtime_of(request).db.reader() as session:
        info = await get_instance_info(session)
        months = await queries.transparency(session)
        blocked = await blocks.list_domain_blocks(session) if info.show_domain_blocks else None
        rules = await list_rules(session)
    return await render(
        request,
        "moderation/transparency.html",
        {"info": info, "months": months, "blocked": blocked, "rules": rules},
    )


async def terms(request: Request) -> Response:
    async with runtime_of(request).db.reader() as session:
        info = await get_instance_info(session)
    text = policies.terms_text(info)
    return await render(
        request, "moderation/policy.html", {"title": "Terms of service", "text": text}
    )


async def privacy(request: Request) -> Response:
    async with runtime_of(request).db.reader() as session:
        info = await get_instance_info(session)
    text = policies.privacy_text(info)
    return await render(
        request, "moderation/policy.html", {"title": "Privacy policy", "text": text}
    )


routes = [
    Route("/about/moderation", transparency),
    Route("/terms", terms),
    Route("/privacy", privacy),
]
