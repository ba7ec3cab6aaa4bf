"""IP blocks: CIDR matching (IPv4, IPv6, IPv4-mapped), the strictest policy wins, expiry, and
bad input refused with nothing stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Forbidden, Invalid
from parley.domain.moderation import ip_blocks
from parley.domain.moderation.models import AuditLogEntry, IpBlock
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import member, staff


async def _block(runtime: Runtime, admin: Account, ip: str, severity: str, **kw: object) -> IpBlock:
    async with runtime.db.transaction() as session:
        return await ip_blocks.block_ip(
            session,
            actor=admin,
            ip=ip,
            severity=severity,
            **kw,  # type: ignore[arg-type]
        )


async def _policy(runtime: Runtime, ip: str | None) -> str | None:
    async with runtime.db.reader() as session:
        return await ip_blocks.ip_policy(session, ip)


async def test_ranges_match_addresses_inside_them_only(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "boss", role="admin")
    block = await _block(runtime, admin, " 203.0.113.7/24 ", "sign_up_block", comment="spam farm")
    assert block.ip == "203.0.113.0/24"  # host bits dropped
    await _block(runtime, admin, "2001:db8::/32", "no_access")
    assert await _policy(runtime, "203.0.113.200") == "sign_up_block"
    assert await _policy(runtime, "::ffff:203.0.113.9") == "sign_up_block"  # IPv4-mapped
    assert await _policy(runtime, "203.0.114.1") is None
    assert await _policy(runtime, "2001:db8:1::5") == "no_access"
    assert await _policy(runtime, "2001:db9::1") is None
    assert await _policy(runtime, None) is None
    assert await _policy(runtime, "not-an-address") is None


async def test_the_strictest_covering_block_wins(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "boss", role="admin")
    await _block(runtime, admin, "10.0.0.0/8", "sign_up_requires_approval")
    await _block(runtime, admin, "10.1.0.0/16", "no_access")
    assert await _policy(runtime, "10.1.2.3") == "no_access"
    assert await _policy(runtime, "10.2.0.1") == "sign_up_requires_approval"
    async with runtime.db.reader() as session:
        with pytest.raises(Forbidden, match="network is blocked"):
            await ip_blocks.check_ip_access(session, "10.1.2.3")
        await ip_blocks.check_ip_access(session, "10.2.0.1")  # approval only: may sign in
        assert await ip_blocks.check_ip_sign_up(session, "10.2.0.1") is True
        with pytest.raises(Forbidden, match="Sign-ups from your network"):
            await ip_blocks.check_ip_sign_up(session, "10.1.0.1")


async def test_an_expired_block_no_longer_applies(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "boss", role="admin")
    block = await _block(runtime, admin, "198.51.100.1", "no_access", expires_in=3600)
    assert block.expires_at is not None
    assert await _policy(runtime, "198.51.100.1") == "no_access"
    async with runtime.db.transaction() as session:
        await session.execute(
            update(IpBlock)
            .where(IpBlock.id == block.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await _policy(runtime, "198.51.100.1") is None


@pytest.mark.parametrize(
    ("ip", "severity", "kw", "field"),
    [
        ("300.1.1.1", "no_access", {}, "ip"),
        ("10.0.0.0/33", "no_access", {}, "ip"),
        ("example.org", "no_access", {}, "ip"),
        ("", "no_access", {}, "ip"),
        ("10.0.0.1", "ban_forever", {}, "severity"),
        ("10.0.0.1", "no_access", {"expires_in": -5}, "expires_in"),
        ("10.0.0.1", "no_access", {"comment": "x" * 1001}, "comment"),
    ],
)
async def test_bad_blocks_are_refused_and_nothing_is_stored(
    runtime: Runtime, members: Members, ip: str, severity: str, kw: dict[str, object], field: str
) -> None:
    admin = await staff(members, "boss", role="admin")
    with pytest.raises(Invalid) as caught:
        await _block(runtime, admin, ip, severity, **kw)
    assert caught.value.field == field
    async with runtime.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(IpBlock)) == 0


async def test_duplicates_members_and_moderators_are_refused(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "boss", role="admin")
    mod = await staff(members, "mod")
    alice = await member(members, "alice")
    await _block(runtime, admin, "192.0.2.0/24", "sign_up_block")
    with pytest.raises(Conflict):
        await _block(runtime, admin, "192.0.2.5/24", "no_access")
    for who in (mod, alice):
        with pytest.raises(Forbidden):
            await _block(runtime, who, "192.0.3.0/24", "no_access")


async def test_edits_and_removals_are_audited(runtime: Runtime, members: Members) -> None:
    admin = await staff(members, "boss", role="admin")
    block = await _block(runtime, admin, "192.0.2.0/24", "sign_up_block")
    async with runtime.db.transaction() as session:
        edited = await ip_blocks.update_ip_block(
            session, actor=admin, block_id=block.id, severity="no_access", comment="worse"
        )
        assert (edited.severity, edited.comment, edited.ip) == (
            "no_access",
            "worse",
            "192.0.2.0/24",
        )
        with pytest.raises(Invalid):
            await ip_blocks.update_ip_block(session, actor=admin, block_id=block.id, ip="nope")
    async with runtime.db.transaction() as session:
        await ip_blocks.unblock_ip(session, actor=admin, block_id=block.id)
    async with runtime.db.reader() as session:
        actions = list(
            await session.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id))
        )
    assert actions == ["ip_block.create", "ip_block.update", "ip_block.delete"]


async def test_the_operator_lifts_every_block_holding_an_address(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "boss", role="admin")
    for ip in ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "10.2.0.0/16", "2001:db8::/32"):
        await _block(runtime, admin, ip, "no_access")
    async with runtime.db.transaction() as session:
        session.add(IpBlock(ip="garbage", severity="no_access"))
    async with runtime.db.transaction() as session:
        with pytest.raises(Invalid):
            await ip_blocks.lift_ip_blocks(session, "not an address")
        assert await ip_blocks.lift_ip_blocks(session, " 10.1.2.3 ") == [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.3/32",
        ]
        assert await ip_blocks.lift_ip_blocks(session, "192.0.2.1") == []
    async with runtime.db.reader() as session:
        left = set(await session.scalars(select(IpBlock.ip)))
    assert left == {"10.2.0.0/16", "2001:db8::/32", "garbage"}
