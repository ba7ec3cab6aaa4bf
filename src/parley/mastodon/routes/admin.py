"""The Mastodon admin API for moderation apps: reports, accounts (actions, approving and
rejecting sign-ups), domain blocks and IP blocks.

Tokens need the admin:* scopes, which only staff tokens keep; the domain checks the role
again (a moderator may not manage domain blocks, for instance).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parley.domain.accounts.models import Account, Role, User
from parley.domain.errors import Invalid
from parley.domain.instance.service import list_rules
from parley.domain.moderation import blocks, queries, registrations
from parley.domain.moderation import ip_blocks as ip_rules
from parley.domain.moderation import service as moderation
from parley.domain.moderation.models import ActionKind, DomainBlock, IpBlock, Report, Severity
from parley.domain.moderation.permissions import GRANTS, Permission, require
from parley.domain.portability.queries import find_moved_to, moved_targets, moved_to_in
from parley.domain.posts.models import Post
from parley.edge.ip_access import announce_change
from parley.mastodon import entities
from parley.mastodon.auth import Member, require_member, runtime_of
from parley.mastodon.entities import Entity, iso
from parley.mastodon.params import Params, parse_id
from parley.mastodon.responses import json_response
from parley.mastodon.views import acting_account, path_id, render_statuses

ROLE_IDS = {Role.MEMBER: "-99", Role.MODERATOR: "1", Role.ADMIN: "2", Role.OWNER: "3"}
# Mastodon's account action types, in Parley's words.
ACTION_TYPES = {
    "none": ActionKind.WARN,
    "sensitive": ActionKind.MARK_SENSITIVE,
    "disable": ActionKind.FREEZE,
    "silence": ActionKind.LIMIT,
    "suspend": ActionKind.SUSPEND,
}
SEVERITY_IN = {"silence": Severity.LIMIT, "suspend": Severity.SUSPEND, "noop": Severity.NOOP}
_Block = TypeVar("_Block", DomainBlock, IpBlock)  # the two kinds _one_block serves


def _role(name: str) -> Entity:
    return {
        "id": ROLE_IDS.get(name, "-99"),
        "name": name.title(),
        "color": "",
        "permissions": str(len(GRANTS.get(name, ()))),
        "highlighted": name != Role.MEMBER,
    }


def admin_account(
    base_url: str, account: Account, user: User | None, *, moved_to: Account | None = None
) -> Entity:
    """Mastodon's Admin::Account; `moved_to` (where the account moved) fills its `moved`."""
    return {
        "id": str(account.id),
        "username": account.username,
        "domain": account.domain,
        "created_at": iso(account.created_at),
        "email": user.email if user else "",
        "ip": None,
        "ips": [],
        "locale": user.locale if user else "en",
        "invite_request": (user.sign_up_reason or None) if user else None,
        "role": _role(user.role if user else Role.MEMBER),
        "confirmed": True,
        "approved": user.approved if user else True,
        "disabled": account.frozen_at is not None or bool(user and user.disabled),
        "silenced": account.silenced_at is not None,
        "suspended": account.suspended_at is not None,
        "sensitized": False,
        "account": entities.account(base_url, account, moved_to=moved_to),
    }


async def _admin_account(
    session: AsyncSession, base_url: str, account_id: int | None
) -> Entity | None:
    account = None if account_id is None else await session.get(Account, account_id)
    if account is None:
        return None
    user = await session.scalar(select(User).where(User.account_id == account.id))
    return admin_account(base_url, account, user, moved_to=await find_moved_to(session, account))


def _remote_reporter(report: Report) -> Account:
    """Another server's report has no reporting account: its server stands in for it."""
    domain = report.origin_domain or "unknown"
    return Account(
        id=0, username=domain, username_lower=domain, domain=domain, display_name=domain,
        note="", note_html="", fields=[], locked=False, discoverable=False, bot=True,
        uri=f"https://{domain}/actor", url=None, also_known_as=[], followers_count=0,
        following_count=0, posts_count=0, created_at=report.created_at, moved_to_id=None,
    )  # fmt: skip


async def admin_report(session: AsyncSession, base_url: str, report: Report, viewer: int) -> Entity:
    reporter = await _admin_account(session, base_url, report.account_id)
    if reporter is None:
        reporter = admin_account(base_url, _remote_reporter(report), None)
    posts = [p for p in [await session.get(Post, i) for i in report.post_ids] if p is not None]
    rules = [r for r in await list_rules(session) if r.id in report.rule_ids]
    return {
        "id": str(report.id),
        "action_taken": report.action_taken_at is not None,
        "action_taken_at": iso(report.action_taken_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forward,
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at),
        "account": reporter,
        "target_account": await _admin_account(session, base_url, report.target_account_id),
        "assigned_account": await _admin_account(session, base_url, report.assigned_account_id),
        "action_taken_by_account": await _admin_account(
            session, base_url, report.action_taken_by_id
        ),
        "statuses": await render_statuses(session, base_url, viewer, posts),
        "rules": [entities.rule(r) for r in rules],
    }


def admin_domain_block(block: DomainBlock) -> Entity:
    return {
        "id": str(block.id),
        "domain": block.domain,
        "digest": hashlib.sha256(block.domain.encode()).hexdigest(),
        "created_at": iso(block.created_at),
        "severity": blocks.SEVERITY_OUT[block.severity],
        "reject_media": block.reject_media,
        "reject_reports": block.reject_reports,
        "private_comment": block.private_comment or None,
        "public_comment": block.public_comment or None,
        "obfuscate": block.obfuscate,
    }


async def list_reports(request: Request) -> Response:
    member = await require_member(request, "admin:read:reports")
    params = await Params.read(request)
    async with runtime_of(request).db.reader() as session:
        found = await queries.list_reports(
            session,
            moderator=await acting_account(session, member),
            resolved=bool(params.boolean("resolved", False)),
            limit=min(params.integer("limit", 100) or 100, 200),
        )
        base = runtime_of(request).settings.base_url
        return json_response([await admin_report(session, base, r, member.id) for r in found])


async def show_report(request: Request) -> Response:
    member = await require_member(request, "admin:read:reports")
    async with runtime_of(request).db.reader() as session:
        report = await queries.report_for_staff(
            session,
            moderator=await acting_account(session, member),
            report_id=path_id(request),
        )
        base = runtime_of(request).settings.base_url
        return json_response(await admin_report(session, base, report, member.id))


async def report_action(request: Request) -> Response:
    member = await require_member(request, "admin:write:reports")
    action = request.path_params["action"]
    report_id = path_id(request)
    async with runtime_of(request).db.transaction() as session:
        me = await acting_account(session, member)
        if action in ("assign_to_self", "unassign"):
            await moderation.assign_report(
                session, moderator=me, report_id=report_id, to_self=action == "assign_to_self"
            )
        elif action == "resolve":
            await moderation.take_action(
                session, moderator=me, kind=ActionKind.DISMISS, report_id=report_id,
                reason="Resolved without further action",
            )  # fmt: skip
        elif action == "reopen":
            await moderation.reopen_report(session, moderator=me, report_id=report_id)
        else:
            raise Invalid(None, "Unknown report action")
        report = await moderation.get_report(session, report_id)
        base = runtime_of(request).settings.base_url
        return json_response(await admin_report(session, base, report, member.id))


async def show_account(request: Request) -> Response:
    member = await require_member(request, "admin:read:accounts")
    async with runtime_of(request).db.reader() as session:
        account, user = await queries.account_for_staff(
            session,
            moderator=await acting_account(session, member),
            account_id=path_id(request),
        )
        moved_to = await find_moved_to(session, account)
    base = runtime_of(request).settings.base_url
    return json_response(admin_account(base, account, user, moved_to=moved_to))


async def account_action(request: Request) -> Response:
    member = await require_member(request, "admin:write:accounts")
    params = await Params.read(request)
    kind = ACTION_TYPES.get(params.string("type") or "none")
    if kind is None:
        raise Invalid("type", f"type must be one of {', '.join(ACTION_TYPES)}")
    report_id = params.string("report_id")
    async with runtime_of(request).db.transaction() as session:
        await moderation.take_action(
            session,
            moderator=await acting_account(session, member),
            kind=kind,
            reason=params.string("text") or "",
            target_account_id=path_id(request),
            report_id=None if not report_id else parse_id(report_id, "report_id"),
        )
    return json_response({})


async def list_accounts(request: Request) -> Response:
    """v1 `pending=true` / v2 `status=pending`: the sign-ups waiting for approval; otherwise
    local accounts, newest first."""
    member = await require_member(request, "admin:read:accounts")
    params = await Params.read(request)
    only_pending = bool(params.boolean("pending", False)) or params.string("status") == "pending"
    limit = max(1, min(params.integer("limit", 100) or 100, 200))
    async with runtime_of(request).db.reader() as session:
        found = await registrations.list_accounts(
            session,
            moderator=await acting_account(session, member),
            pending=only_pending,
            limit=limit,
        )
        moved = await moved_targets(session, [account for account, _user in found])
    base = runtime_of(request).settings.base_url
    return json_response(
        [admin_account(base, a, u, moved_to=moved_to_in(a, moved)) for a, u in found]
    )


async def decide_sign_up(request: Request) -> Response:
    """approve / reject a pending sign-up; answers the account as it was decided."""
    member = await require_member(request, "admin:write:accounts")
    account_id = path_id(request)
    base = runtime_of(request).settings.base_url
    async with runtime_of(request).db.transaction() as session:
        me = await acting_account(session, member)
        account, user = await queries.account_for_staff(
            session, moderator=me, account_id=account_id
        )
        moved_to = await find_moved_to(session, account)
        if request.url.path.endswith("/approve"):
            await registrations.approve_account(session, moderator=me, account_id=account_id)
            return json_response(admin_account(base, account, user, moved_to=moved_to))
        entity = admin_account(base, account, user, moved_to=moved_to)
        await registrations.reject_account(session, moderator=me, account_id=account_id)
    return json_response(entity)


def _spec(params: Params, domain: str | None = None) -> blocks.DomainBlockSpec:
    severity = SEVERITY_IN.get(params.string("severity") or "silence")
    if severity is None:
        raise Invalid("severity", "severity must be silence, suspend or noop")
    return blocks.DomainBlockSpec(
        domain=domain or params.required_string("domain", "domain can't be blank"),
        severity=severity,
        reject_media=bool(params.boolean("reject_media", False)),
        reject_reports=bool(params.boolean("reject_reports", False)),
        public_comment=params.string("public_comment") or "",
        private_comment=params.string("private_comment") or "",
        obfuscate=bool(params.boolean("obfuscate", False)),
    )


async def domain_blocks(request: Request) -> Response:
    if request.method == "GET":
        member = await require_member(request, "admin:read:domain_blocks")
        async with runtime_of(request).db.reader() as session:
            await _require_blocks(session, member)
            found = await blocks.list_domain_blocks(session)
        return json_response([admin_domain_block(b) for b in found])
    member = await require_member(request, "admin:write:domain_blocks")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        block = await blocks.block_domain(
            session, actor=await acting_account(session, member), spec=_spec(params)
        )
        return json_response(admin_domain_block(block))


async def domain_block(request: Request) -> Response:
    return await _one_block(
        request, "domain_blocks", blocks.get_domain_block, blocks.unblock_domain,
        _update_domain_block, admin_domain_block,
    )  # fmt: skip


async def _update_domain_block(
    session: AsyncSession, me: Account, block: DomainBlock, params: Params
) -> DomainBlock:
    merged = Params({**_current(block), **params.data})
    spec = _spec(merged, block.domain)
    return await blocks.block_domain(session, actor=me, spec=spec, update_existing=True)


def _current(block: DomainBlock) -> dict[str, Any]:
    return {**admin_domain_block(block), "public_comment": block.public_comment,
            "private_comment": block.private_comment}  # fmt: skip


def admin_ip_block(block: IpBlock) -> Entity:
    return {
        "id": str(block.id),
        "ip": block.ip,
        "severity": block.severity,
        "comment": block.comment,
        "created_at": iso(block.created_at),
        "expires_at": iso(block.expires_at),
    }


async def ip_blocks(request: Request) -> Response:
    """GET lists (Link-less, as few as an instance has), POST creates (`ip`, `severity`,
    `comment`, `expires_in` seconds)."""
    if request.method == "GET":
        member = await require_member(request, "admin:read:ip_blocks")
        async with runtime_of(request).db.reader() as session:
            await _require_blocks(session, member)
            return json_response(
                [admin_ip_block(b) for b in await ip_rules.list_ip_blocks(session)]
            )
    member = await require_member(request, "admin:write:ip_blocks")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        block = await ip_rules.block_ip(
            session,
            actor=await acting_account(session, member),
            ip=params.required_string("ip", "ip can't be blank"),
            severity=params.required_string("severity", "severity can't be blank"),
            comment=params.string("comment") or "",
            expires_in=params.integer("expires_in"),
        )
        answer = json_response(admin_ip_block(block))
    await announce_change(runtime_of(request).broker)  # after the commit: others reload
    return answer


async def ip_block(request: Request) -> Response:
    answer = await _one_block(
        request, "ip_blocks", ip_rules.get_ip_block, ip_rules.unblock_ip, _update_ip_block,
        admin_ip_block,
    )  # fmt: skip
    if request.method != "GET":
        await announce_change(runtime_of(request).broker)
    return answer


async def _update_ip_block(
    session: AsyncSession, me: Account, block: IpBlock, params: Params
) -> IpBlock:
    return await ip_rules.update_ip_block(
        session,
        actor=me,
        block_id=block.id,
        ip=params.string("ip"),
        severity=params.string("severity"),
        comment=params.string("comment"),
        expires_in=params.integer("expires_in"),
    )


async def _one_block(
    request: Request,
    scope: str,
    get: Callable[[AsyncSession, int], Awaitable[_Block]],
    unblock: Callable[..., Awaitable[None]],
    update: Callable[[AsyncSession, Account, _Block, Params], Awaitable[_Block]],
    entity: Callable[[_Block], Entity],
) -> Response:
    """One domain or IP block: GET shows it, PUT updates it, DELETE lifts it."""
    write = request.method != "GET"
    member = await require_member(request, f"admin:{'write' if write else 'read'}:{scope}")
    params = await Params.read(request)
    async with runtime_of(request).db.transaction() as session:
        await _require_blocks(session, member)
        block = await get(session, path_id(request))
        me = await acting_account(session, member)
        if request.method == "DELETE":
            await unblock(session, actor=me, block_id=block.id)
            return json_response({})
        if request.method == "PUT":
            block = await update(session, me, block, params)
        return json_response(entity(block))


async def _require_blocks(session: AsyncSession, member: Member) -> None:
    await require(session, await acting_account(session, member), Permission.MANAGE_BLOCKS)


routes = [
    Route("/api/v1/admin/reports", list_reports),
    Route("/api/v1/admin/reports/{id}", show_report),
    Route("/api/v1/admin/reports/{id}/{action}", report_action, methods=["POST"]),
    Route("/api/v1/admin/accounts", list_accounts),
    Route("/api/v2/admin/accounts", list_accounts),
    Route("/api/v1/admin/accounts/{id}", show_account),
    Route("/api/v1/admin/accounts/{id}/approve", decide_sign_up, methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/reject", decide_sign_up, methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/action", account_action, methods=["POST"]),
    Route("/api/v1/admin/domain_blocks", domain_blocks, methods=["GET", "POST"]),
    Route("/api/v1/admin/domain_blocks/{id}", domain_block, methods=["GET", "PUT", "DELETE"]),
    Route("/api/v1/admin/ip_blocks", ip_blocks, methods=["GET", "POST"]),
    Route("/api/v1/admin/ip_blocks/{id}", ip_block, methods=["GET", "PUT", "DELETE"]),
]
