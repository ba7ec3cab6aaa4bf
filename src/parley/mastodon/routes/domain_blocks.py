"""A member's own domain blocks: GET / POST / DELETE /api/v1/domain_blocks (Link-paged)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.relationships import domain_blocks
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.params import Params
from parley.mastodon.responses import json_response, page_response
from parley.mastodon.views import acting_account, page_of


async def list_blocked_domains(request: Request) -> Response:
    member = await require_member(request, "read:blocks", "follow")
    params = await Params.read(request)
    page = page_of(params, max_limit=200, default_limit=100)
    runtime = runtime_of(request)
    async with runtime.db.reader() as session:
        found = await domain_blocks.list_domain_blocks_of(session, member.id, page)
    return page_response(
        request,
        runtime.settings.base_url,
        [domain for _cursor, domain in found],
        cursors=[cursor for cursor, _domain in found],
        limit=page.limit,
    )


async def change_domain_block(request: Request) -> Response:
    """POST blocks `domain`, DELETE unblocks it; both answer {} (and are idempotent)."""
    member = await require_member(request, "write:blocks", "follow")
    params = await Params.read(request)
    domain = params.required_string("domain", "domain can't be blank")
    runtime = runtime_of(request)
    change = (
        domain_blocks.block_domain_for
        if request.method == "POST"
        else domain_blocks.unblock_domain_for
    )
    async with runtime.db.transaction() as session:
        await change(
            session,
            account=await acting_account(session, member),
            domain=domain,
            local_domain=runtime.settings.domain,
        )
    return json_response({})


routes = [
    Route("/api/v1/domain_blocks", list_blocked_domains, methods=["GET"]),
    Route("/api/v1/domain_blocks", change_domain_block, methods=["POST", "DELETE"]),
]
