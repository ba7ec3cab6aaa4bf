from __future__ import annotations

import pytest

from parley.domain.accounts.models import Account
from parley.domain.errors import Forbidden
from parley.domain.moderation import blocks
from parley.domain.moderation.models import AuditLogEntry, DomainBlock, Severity
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.moderation.factories import staff
from tests.unit.posts.factories import count, reload

GOOD = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,true,true,Spam farm,false
loud.example,silence,false,false,,false
"""


async def _remote(runtime: Runtime, username: str, domain: str) -> Account:
    async with runtime.db.transaction() as session:
        account = Account(
            username=username, username_lower=username, domain=domain,
            uri=f"https://{domain}/users/{username}",
        )  # fmt: skip
        session.add(account)
    return account


async def test_import_applies_every_row_and_export_round_trips(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "boss", "admin")
    spammer = await _remote(runtime, "spammer", "spam.example")
    loud = await _remote(runtime, "loud", "loud.example")
    async with runtime.db.transaction() as session:
        assert await blocks.import_domain_blocks(session, actor=admin, text=GOOD) == 2
    assert (await reload(runtime, Account, spammer.id)).suspended_at is not None
    assert (await reload(runtime, Account, loud.id)).silenced_at is not None
    async with runtime.db.reader() as session:
        exported = blocks.export_domain_blocks_csv(await blocks.list_domain_blocks(session))
        block = await blocks.find_domain_block(session, "media.spam.example")
    assert exported.splitlines() == [
        ",".join(blocks.CSV_HEADER),
        "loud.example,silence,false,false,,false",
        "spam.example,suspend,true,true,Spam farm,false",
    ]
    assert block is not None
    assert block.severity == Severity.SUSPEND


async def test_import_with_bad_rows_names_each_and_applies_nothing(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "boss", "admin")
    text = GOOD + "not a domain,suspend,false,false,,false\nok.example,explode,false,false,,false\n"
    text += "ok2.example,suspend,maybe,false,,false\nspam.example,noop,false,false,,false\n"
    with pytest.raises(blocks.ImportRejected) as caught:
        async with runtime.db.transaction() as session:
            await blocks.import_domain_blocks(session, actor=admin, text=text)
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (4, "'not a domain' is not a domain name"),
        (5, "unknown severity 'explode'"),
        (6, "reject_media must be true or false"),
        (7, "spam.example appears twice"),
    ]
    assert await count(runtime, DomainBlock) == 0
    assert await count(runtime, AuditLogEntry) == 0


async def test_lifting_a_block_restores_only_what_it_imposed(
    runtime: Runtime, members: Members
) -> None:
    admin = await staff(members, "boss", "admin")
    mod = await staff(members, "mod")
    someone = await _remote(runtime, "someone", "loud.example")
    async with runtime.db.transaction() as session:
        block = await blocks.block_domain(
            session, actor=admin, spec=blocks.DomainBlockSpec("LOUD.example.", Severity.SUSPEND)
        )
    assert block.domain == "loud.example"
    assert (await reload(runtime, Account, someone.id)).suspended_at is not None
    with pytest.raises(Forbidden):
        async with runtime.db.transaction() as session:
            await blocks.unblock_domain(session, actor=mod, block_id=block.id)
    async with runtime.db.transaction() as session:
        await blocks.unblock_domain(session, actor=admin, block_id=block.id)
    assert (await reload(runtime, Account, someone.id)).suspended_at is None
