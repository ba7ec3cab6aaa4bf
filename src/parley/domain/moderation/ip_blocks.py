"""IP blocks: an address or CIDR range with Mastodon's policies (sign-ups wait for approval,
no sign-ups, no access at all), an optional expiry and a comment. Enforced at sign-up (web and
API), web sign-in and the OAuth token endpoint; `no_access` also refuses every request at the
edge (parley.edge.ip_access). An expired block is simply ignored.

The edge keeps the live blocks in memory; `changes()` tells it when a transaction in this
process has committed a change (other processes hear it through the broker)."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, Invalid, get_or_404
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.models import IpBlock
from parley.domain.moderation.permissions import Permission, require


class IpSeverity:
    """Mastodon's IP block policies, from mildest to strictest."""

    APPROVAL = "sign_up_requires_approval"  # sign-ups from there wait for a moderator
    SIGN_UP_BLOCK = "sign_up_block"  # no sign-ups from there
    NO_ACCESS = "no_access"  # nothing at all: every request is refused at the edge
    ALL = (APPROVAL, SIGN_UP_BLOCK, NO_ACCESS)


IP_EXPIRY_MAX = 10 * 365 * 86400
NO_ACCESS_MESSAGE = "Access from your network is blocked on this server"

log = logging.getLogger(__name__)
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Changes:
    committed = 0  # IP-block changes committed by this process


def changes() -> int:
    """How many IP-block changes this process has committed: a reader that cached the blocks
    at another count reloads them."""
    return _Changes.committed


def _note_change(session: AsyncSession) -> None:
    """Count the change once its transaction commits: a reader that reloaded earlier would
    have read the old rows and kept them."""
    if session.info.get("ip_blocks_changed"):
        return
    session.info["ip_blocks_changed"] = True

    def committed(_session: Session) -> None:
        session.info.pop("ip_blocks_changed", None)
        _Changes.committed += 1

    event.listen(session.sync_session, "after_commit", committed, once=True)


def _network(ip: str) -> str:
    try:
        return str(ipaddress.ip_network(ip.strip(), strict=False))
    except ValueError as exc:
        raise Invalid("ip", f"{ip.strip()[:64]!r} is not an IP address or CIDR range") from exc


def _ip_fields(severity: str, comment: str, expires_in: int | None) -> dict[str, object]:
    if severity not in IpSeverity.ALL:
        raise Invalid("severity", f"Severity must be one of {', '.join(IpSeverity.ALL)}")
    if expires_in is not None and not 0 < expires_in <= IP_EXPIRY_MAX:
        raise Invalid("expires_in", "expires_in is a number of seconds, at most ten years")
    comment = comment.strip()
    if len(comment) > 1000:
        raise Invalid("comment", "The comment is at most 1000 characters")
    expires_at = None if expires_in is None else utcnow() + timedelta(seconds=expires_in)
    return {"severity": severity, "comment": comment, "expires_at": expires_at}


async def block_ip(
    session: AsyncSession,
    *,
    actor: Account,
    ip: str,
    severity: str,
    comment: str = "",
    expires_in: int | None = None,
) -> IpBlock:
    """Block an address or CIDR range; `expires_in` seconds from now (None: for good)."""
    await require(session, actor, Permission.MANAGE_BLOCKS)
    network = _network(ip)
    fields = _ip_fields(severity, comment, expires_in)
    if await session.scalar(select(IpBlock.id).where(IpBlock.ip == network)) is not None:
        raise Conflict(f"{network} is already blocked; edit the existing block")
    block = IpBlock(ip=network, **fields)
    session.add(block)
    await session.flush()
    _note_change(session)
    await write_audit(
        session, actor=actor, action="ip_block.create", target_type="ip", target_id=network,
        reason=block.comment, severity=severity,
    )  # fmt: skip
    return block


async def get_ip_block(session: AsyncSession, block_id: int) -> IpBlock:
    return await get_or_404(session, IpBlock, block_id, "This IP block does not exist")


async def update_ip_block(
    session: AsyncSession,
    *,
    actor: Account,
    block_id: int,
    ip: str | None = None,
    severity: str | None = None,
    comment: str | None = None,
    expires_in: int | None = None,
) -> IpBlock:
    """Change a block; a field given as None keeps its value (expires_in None keeps it too)."""
    await require(session, actor, Permission.MANAGE_BLOCKS)
    block = await get_ip_block(session, block_id)
    network = block.ip if ip is None else _network(ip)
    fields = _ip_fields(
        severity or block.severity, block.comment if comment is None else comment, expires_in
    )
    if expires_in is None:
        fields["expires_at"] = block.expires_at
    clash = await session.scalar(
        select(IpBlock.id).where(IpBlock.ip == network, IpBlock.id != block.id)
    )
    if clash is not None:
        raise Conflict(f"{network} is already blocked")
    block.ip = network
    for name, value in fields.items():
        setattr(block, name, value)
    await session.flush()
    _note_change(session)
    await write_audit(
        session, actor=actor, action="ip_block.update", target_type="ip", target_id=network,
        reason=block.comment, severity=block.severity,
    )  # fmt: skip
    return block


async def unblock_ip(session: AsyncSession, *, actor: Account, block_id: int) -> None:
    await require(session, actor, Permission.MANAGE_BLOCKS)
    block = await get_ip_block(session, block_id)
    await write_audit(
        session, actor=actor, action="ip_block.delete", target_type="ip", target_id=block.ip
    )
    await session.delete(block)
    await session.flush()
    _note_change(session)


async def lift_ip_blocks(session: AsyncSession, ip: str) -> list[str]:
    """Remove every block on `ip` or on a range holding it, and name them: the operator's way
    back in (`parley admin unblock-ip`) when an admin has blocked their own network. No actor
    and no permission check: whoever runs the command on the server already owns it."""
    target = ipaddress.ip_network(_network(ip))
    lifted = []
    for block in list(await session.scalars(select(IpBlock).order_by(IpBlock.id))):
        network = stored_network(block.ip)
        if network is None or network.prefixlen > target.prefixlen:
            continue
        if target.network_address in network:  # the target lies inside the block
            lifted.append(block.ip)
            await session.delete(block)
    if lifted:
        await session.flush()
        _note_change(session)
        log.warning("IP blocks lifted from the command line: %s", ", ".join(lifted))
    return lifted


async def list_ip_blocks(session: AsyncSession) -> list[IpBlock]:
    return list((await session.scalars(select(IpBlock).order_by(IpBlock.id))).all())


_IP_RANK = {severity: rank for rank, severity in enumerate(IpSeverity.ALL)}


@dataclass(frozen=True, slots=True)
class LiveBlock:
    network: IPNetwork
    severity: str
    expires_at: datetime | None


def stored_network(text: str | None) -> IPNetwork | None:
    """A stored range, or None when a row written by other means is not one (logged, and
    skipped rather than failing every request it would be matched against)."""
    try:
        return ipaddress.ip_network((text or "").strip(), strict=False)
    except ValueError:
        log.warning("ignoring an IP block that is not an address or range: %r", (text or "")[:64])
        return None


async def live_ip_blocks(
    session: AsyncSession, *, now: datetime | None = None, severity: str | None = None
) -> list[LiveBlock]:
    """The blocks in force at `now` (default: the present), of one severity if given."""
    moment = now or utcnow()
    query = select(IpBlock.ip, IpBlock.severity, IpBlock.expires_at).where(
        or_(IpBlock.expires_at.is_(None), IpBlock.expires_at > moment)
    )
    if severity is not None:
        query = query.where(IpBlock.severity == severity)
    return [
        LiveBlock(network, sev, expires_at)
        for ip, sev, expires_at in await session.execute(query)
        if (network := stored_network(ip)) is not None
    ]


async def ip_policy(session: AsyncSession, ip: str | None) -> str | None:
    """The strictest unexpired block covering `ip` (None: not blocked, or no address known).

    The few ranges an instance blocks are matched here with `ipaddress` rather than in SQL,
    so PostgreSQL and SQLite behave the same."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    found = [b.severity for b in await live_ip_blocks(session) if address in b.network]
    return max(found, key=lambda sev: _IP_RANK.get(sev, -1), default=None)


async def check_ip_access(session: AsyncSession, ip: str | None) -> None:
    """Sign-in and tokens: refused from a `no_access` range."""
    if await ip_policy(session, ip) == IpSeverity.NO_ACCESS:
        raise Forbidden(NO_ACCESS_MESSAGE)


async def check_ip_sign_up(session: AsyncSession, ip: str | None) -> bool:
    """Sign-up: refused from a blocked range; True when it must wait for approval."""
    policy = await ip_policy(session, ip)
    if policy in (IpSeverity.SIGN_UP_BLOCK, IpSeverity.NO_ACCESS):
        raise Forbidden("Sign-ups from your network are not accepted on this server")
    return policy == IpSeverity.APPROVAL
