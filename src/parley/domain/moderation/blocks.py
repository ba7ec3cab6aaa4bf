"""Instance-level blocks: domains (limit or suspend, media and reports rejection), e-mail
domains (IP ranges: .ip_blocks). Domain blocks import and export as Mastodon's CSV.

A domain block takes effect through the account rules the rest of the domain already honours:
"limit" sets `silenced_at` on the domain's accounts, "suspend" sets `suspended_at`, and the
inbox refuses a suspended domain's activities (`find_domain_block`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.domain.accounts.models import Account
from parley.domain.errors import Conflict, Invalid, get_or_404
from parley.domain.moderation.audit import write_audit
from parley.domain.moderation.models import DomainBlock, EmailDomainBlock, Severity
from parley.domain.moderation.permissions import Permission, require

CSV_HEADER = ["#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment",
              "#obfuscate"]  # fmt: skip
# Mastodon says "silence" where Parley says "limit".
_SEVERITY_IN = {"silence": Severity.LIMIT, "limit": Severity.LIMIT, "suspend": Severity.SUSPEND,
                "noop": Severity.NOOP, "": Severity.SUSPEND}  # fmt: skip
SEVERITY_OUT = {Severity.LIMIT: "silence", Severity.SUSPEND: "suspend", Severity.NOOP: "noop"}
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": False}


@dataclass(frozen=True, slots=True)
class DomainBlockSpec:
    domain: str
    severity: str = Severity.LIMIT
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    private_comment: str = ""
    obfuscate: bool = False


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


class ImportRejected(Invalid):
    """A CSV with bad rows: nothing was applied; `errors` names each bad row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("file", f"{len(errors)} bad row(s); nothing was imported")
        self.errors = errors


def normalize_domain(raw: str) -> str:
    domain = raw.strip().lower().rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise Invalid("domain", f"{raw!r} is not a domain name") from exc
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(0 < len(label) <= 63 and label.replace("-", "").isalnum() for label in labels)
    ):
        raise Invalid("domain", f"{raw!r} is not a domain name")
    return domain


def _check(spec: DomainBlockSpec) -> DomainBlockSpec:
    if spec.severity not in Severity.ALL:
        raise Invalid("severity", f"Severity must be one of {', '.join(Severity.ALL)}")
    return DomainBlockSpec(
        domain=normalize_domain(spec.domain),
        severity=spec.severity,
        reject_media=spec.reject_media,
        reject_reports=spec.reject_reports,
        public_comment=spec.public_comment.strip()[:1000],
        private_comment=spec.private_comment.strip()[:1000],
        obfuscate=spec.obfuscate,
    )


async def _enforce(session: AsyncSession, block: DomainBlock) -> None:
    """Make the domain's accounts match the block. The block's own timestamp marks what it
    imposed, so lifting it never lifts a moderator's separate action on one account."""
    mark = block.created_at
    for column, wanted in (
        (Account.suspended_at, block.severity == Severity.SUSPEND),
        (Account.silenced_at, block.severity == Severity.LIMIT),
    ):
        accounts = update(Account).where(Account.domain == block.domain)
        if wanted:
            await session.execute(accounts.where(column.is_(None)).values({column: mark}))
        else:
            await session.execute(accounts.where(column == mark).values({column: None}))


async def apply_domain_block(session: AsyncSession, account: Account) -> None:
    """A newly known remote account starts limited or suspended if its domain is blocked."""
    if account.domain is None:
        return
    block = await find_domain_block(session, account.domain)
    if block is None:
        return
    if block.severity == Severity.SUSPEND:
        account.suspended_at = account.suspended_at or block.created_at
    elif block.severity == Severity.LIMIT:
        account.silenced_at = account.silenced_at or block.created_at


async def _save(session: AsyncSession, spec: DomainBlockSpec) -> DomainBlock:
    block = await session.scalar(select(DomainBlock).where(DomainBlock.domain == spec.domain))
    if block is None:
        block = DomainBlock(domain=spec.domain, created_at=utcnow())
        session.add(block)
    for field in DomainBlockSpec.__slots__:
        setattr(block, field, getattr(spec, field))
    await session.flush()
    await _enforce(session, block)
    return block


async def block_domain(
    session: AsyncSession, *, actor: Account, spec: DomainBlockSpec, update_existing: bool = False
) -> DomainBlock:
    await require(session, actor, Permission.MANAGE_BLOCKS)
    spec = _check(spec)
    exists = await session.scalar(select(DomainBlock.id).where(DomainBlock.domain == spec.domain))
    if exists is not None and not update_existing:
        raise Conflict(f"{spec.domain} is already blocked; edit the existing block")
    block = await _save(session, spec)
    await write_audit(
        session,
        actor=actor,
        action="domain_block.update" if exists else "domain_block.create",
        target_type="domain",
        target_id=block.domain,
        reason=block.private_comment,
        severity=block.severity,
    )
    return block


async def get_domain_block(session: AsyncSession, block_id: int) -> DomainBlock:
    return await get_or_404(session, DomainBlock, block_id, "This domain block does not exist")


async def unblock_domain(session: AsyncSession, *, actor: Account, block_id: int) -> None:
    await require(session, actor, Permission.MANAGE_BLOCKS)
    block = await get_domain_block(session, block_id)
    block.severity = Severity.NOOP
    await _enforce(session, block)
    await write_audit(
        session, actor=actor, action="domain_block.delete", target_type="domain",
        target_id=block.domain,
    )  # fmt: skip
    await session.delete(block)
    await session.flush()


async def list_domain_blocks(session: AsyncSession) -> list[DomainBlock]:
    return list((await session.scalars(select(DomainBlock).order_by(DomainBlock.domain))).all())


async def find_domain_block(session: AsyncSession, host: str) -> DomainBlock | None:
    """The block covering `host` or any parent domain of it (a block covers subdomains)."""
    host = host.lower().partition(":")[0]
    labels = host.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    found = await session.scalars(select(DomainBlock).where(DomainBlock.domain.in_(candidates)))
    return max(found.all(), key=lambda b: len(b.domain), default=None)


def _flag(cells: dict[str, str], name: str) -> bool:
    value = _BOOLS.get(cells.get(name, "").lower())
    if value is None:
        raise Invalid(name, f"{name[1:]} must be true or false")
    return value


def parse_domain_blocks_csv(text: str) -> tuple[list[DomainBlockSpec], list[RowError]]:
    """Mastodon's export format; every bad row is reported with its line number."""
    specs: list[DomainBlockSpec] = []
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            if "#domain" not in header:
                return [], [RowError(line, "The first row must be a header naming #domain")]
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        try:
            severity = _SEVERITY_IN.get(cells.get("#severity", "").lower())
            if severity is None:
                raise Invalid("severity", f"unknown severity {cells.get('#severity')!r}")
            media, reports, obfuscate = (
                _flag(cells, name) for name in ("#reject_media", "#reject_reports", "#obfuscate")
            )
            spec = _check(
                DomainBlockSpec(
                    domain=cells.get("#domain", ""),
                    severity=severity,
                    reject_media=media,
                    reject_reports=reports,
                    public_comment=cells.get("#public_comment", ""),
                    obfuscate=obfuscate,
                )
            )
            if spec.domain in seen:
                raise Invalid("domain", f"{spec.domain} appears twice")
            seen.add(spec.domain)
            specs.append(spec)
        except Invalid as exc:
            errors.append(RowError(line, exc.message))
    if header is None:
        errors.append(RowError(1, "The file is empty"))
    return specs, errors


async def import_domain_blocks(session: AsyncSession, *, actor: Account, text: str) -> int:
    """All or nothing: any bad row refuses the whole file (ImportRejected lists them)."""
    await require(session, actor, Permission.MANAGE_BLOCKS)
    specs, errors = parse_domain_blocks_csv(text)
    if errors:
        raise ImportRejected(errors)
    for spec in specs:
        await _save(session, spec)
    await write_audit(
        session, actor=actor, action="domain_block.import", target_type="domain",
        target_id="*", domains=[s.domain for s in specs],
    )  # fmt: skip
    return len(specs)


def export_domain_blocks_csv(blocks: list[DomainBlock]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for b in blocks:
        writer.writerow([b.domain, SEVERITY_OUT[b.severity], str(b.reject_media).lower(),
                         str(b.reject_reports).lower(), b.public_comment,
                         str(b.obfuscate).lower()])  # fmt: skip
    return out.getvalue()


async def block_email_domain(session: AsyncSession, *, actor: Account, domain: str) -> None:
    await require(session, actor, Permission.MANAGE_BLOCKS)
    domain = normalize_domain(domain)
    if await session.scalar(select(EmailDomainBlock.id).where(EmailDomainBlock.domain == domain)):
        raise Conflict(f"{domain} is already blocked")
    session.add(EmailDomainBlock(domain=domain))
    await write_audit(
        session, actor=actor, action="email_domain_block.create", target_type="email_domain",
        target_id=domain,
    )  # fmt: skip


async def list_email_domain_blocks(session: AsyncSession) -> list[EmailDomainBlock]:
    rows = await session.scalars(select(EmailDomainBlock).order_by(EmailDomainBlock.domain))
    return list(rows.all())


async def check_email_domain(session: AsyncSession, email: str) -> None:
    """Sign-up refuses addresses at a blocked domain or any subdomain of one."""
    labels = email.rpartition("@")[2].lower().split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    found = await session.scalar(
        select(EmailDomainBlock.id).where(EmailDomainBlock.domain.in_(candidates))
    )
    if found is not None:
        raise Invalid("email", "Sign-ups with this e-mail provider are not accepted here")
