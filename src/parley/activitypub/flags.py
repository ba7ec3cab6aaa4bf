"""Reports across servers: an incoming Flag becomes a report here; a member's report about a
remote account, when they ask to forward it, goes to that server as a Flag.

Outgoing Flags are sent by the instance actor, as Mastodon does, so the reporter stays
anonymous to the other server.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from parley.activitypub.delivery import DeliveryFailed
from parley.activitypub.federation import Federation
from parley.activitypub.fetch import instance_key
from parley.activitypub.notes import Rejected
from parley.activitypub.signatures import sign_request
from parley.activitypub.vocab import ACTIVITY_JSON, AS2, host_of, id_of
from parley.domain.accounts.models import Account
from parley.domain.federation.remote_posts import find_post_by_uri
from parley.domain.moderation import service as moderation
from parley.domain.moderation.blocks import find_domain_block
from parley.domain.moderation.models import Report, ReportCategory
from parley.domain.posts.models import Post
from parley.infra.http import BlockedDestination, HttpError, post

log = logging.getLogger(__name__)
MAX_OBJECTS = 50


def _objects(act: dict[str, Any]) -> list[str]:
    raw = act.get("object")
    items = raw if isinstance(raw, list) else [raw]
    return [uri for uri in (id_of(item) for item in items[:MAX_OBJECTS]) if uri]


async def on_flag(
    fed: Federation, _: httpx.AsyncClient, actor: Account, act: dict[str, Any]
) -> None:
    """Another server reports one of our accounts (and some of its posts)."""
    origin = host_of(actor.uri)
    async with fed.db.transaction() as session:
        block = await find_domain_block(session, origin)
        if block is not None and block.reject_reports:
            raise Rejected(f"reports from {origin} are rejected by a domain block")
        if await session.scalar(select(Report.id).where(Report.uri == act["id"])) is not None:
            return  # a replay
        uris = _objects(act)
        target = await session.scalar(
            select(Account).where(Account.uri.in_(uris), Account.domain.is_(None))
        )
        posts: list[Post] = []
        for uri in uris:
            found = await find_post_by_uri(session, uri)
            if found is not None and found.local:
                posts.append(found)
        if target is None and posts:
            target = await session.get(Account, posts[0].account_id)
        if target is None:
            raise Rejected("the Flag names no account of this server")
        content = act.get("content")
        await moderation.file_report(
            session,
            reporter=None,
            target_account_id=target.id,
            post_ids=[p.id for p in posts if p.account_id == target.id],
            category=ReportCategory.OTHER,
            comment=content[: moderation.MAX_COMMENT] if isinstance(content, str) else "",
            uri=act["id"],
            origin_domain=origin,
        )


def render_flag(
    base_url: str, report: Report, target: Account, post_uris: list[str]
) -> dict[str, Any]:
    return {
        "@context": AS2,
        "id": f"{base_url}/reports/{report.id}",
        "type": "Flag",
        "actor": f"{base_url}/actor",
        "content": report.comment,
        "object": [target.uri, *post_uris],
    }


async def send_flag(fed: Federation, report_id: int) -> None:
    """The report.filed listener: POST the Flag to the reported account's server."""
    async with fed.db.reader() as session:
        report = await session.get(Report, report_id)
        target = None if report is None else await session.get(Account, report.target_account_id)
        if report is None or target is None or target.domain is None or not report.forward:
            return
        inbox = target.shared_inbox_url or target.inbox_url
        uris = list(
            await session.scalars(select(Post.uri).where(Post.id.in_(report.post_ids or [])))
        )
    if not inbox:
        log.info("not forwarding report %s: %s has no inbox", report_id, target.acct())
        return
    body = orjson.dumps(render_flag(fed.base_url, report, target, uris))
    key = await instance_key(fed)
    headers = sign_request(
        method="POST", url=inbox, key_id=fed.instance_key_id, private_key_pem=key.private_pem,
        body=body,
    )  # fmt: skip
    headers["Content-Type"] = ACTIVITY_JSON
    try:
        async with fed.client() as http:
            answer = await post(http, inbox, body=body, headers=headers)
    except BlockedDestination as exc:
        log.warning("not forwarding report %s to %s: %s", report_id, inbox, exc)
        return
    except HttpError as exc:
        raise DeliveryFailed(str(exc)) from exc  # the job queue retries
    if answer.status >= 500 or answer.status == 429:
        raise DeliveryFailed(f"{inbox} answered {answer.status}")
