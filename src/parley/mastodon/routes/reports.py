"""POST /api/v1/reports: a member reports an account (and some of its posts) from an app."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account
from parley.domain.moderation import service as moderation
from parley.domain.moderation.models import Report
from parley.domain.portability.queries import find_moved_to
from parley.mastodon import entities
from parley.mastodon.auth import require_member, runtime_of
from parley.mastodon.entities import Entity, iso
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response
from parley.mastodon.views import acting_account


def report_entity(
    base_url: str, report: Report, target: Account, *, moved_to: Account | None = None
) -> Entity:
    """Mastodon's Report, as the reporter sees it (`moved_to`: where the target moved)."""
    return {
        "id": str(report.id),
        "action_taken": report.action_taken_at is not None,
        "action_taken_at": iso(report.action_taken_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forward,
        "created_at": iso(report.created_at),
        "status_ids": [str(i) for i in report.post_ids] or None,
        "rule_ids": [str(i) for i in report.rule_ids] or None,
        "target_account": entities.account(base_url, target, moved_to=moved_to),
    }


async def file_report(request: Request) -> Response:
    member = await require_member(request, "write:reports")
    params = await Params.read(request)
    runtime = runtime_of(request)
    rule_ids = [parse_id(v, "rule_ids") for v in params.strings("rule_ids")]
    category = params.string("category") or ("violation" if rule_ids else "other")
    async with runtime.db.transaction() as session:
        report = await moderation.file_report(
            session,
            reporter=await acting_account(session, member),
            target_account_id=parse_id(params.string("account_id"), "account_id"),
            post_ids=[parse_id(v, "status_ids") for v in params.strings("status_ids")],
            category=category,
            rule_ids=rule_ids,
            comment=params.string("comment") or "",
            forward=bool(params.boolean("forward", False)),
        )
        target = await moderation.get_account_or_404(session, report.target_account_id)
        moved_to = await find_moved_to(session, target)
        entity = report_entity(runtime.settings.base_url, report, target, moved_to=moved_to)
    return json_response(entity)


routes = [Route("/api/v1/reports", file_report, methods=["POST"])]
