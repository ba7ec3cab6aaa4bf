"""Settings > Blocked servers: hide a server, bad input answered with the form, show it again."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from parley.domain.relationships.models import AccountDomainBlock
from parley.runtime import Runtime
from tests.conftest import Members
from tests.integration.moderation.conftest import Browser


async def test_a_member_hides_and_shows_a_server(
    browser_factory: Callable[[], Browser], runtime: Runtime, members: Members
) -> None:
    await members.create("alice")
    alice = browser_factory()
    await alice.sign_in("alice")
    page = "/settings/domain_blocks"
    assert "None." in (await alice.get(page)).text
    for bad, message in (("parley.test", "your own server"), ("no spaces.example", "not a domain")):
        answer = await alice.post(page, {"domain": bad}, page=page)
        assert answer.status_code == 422
        assert message in answer.text
    added = await alice.post(page, {"domain": "Spam.Example"}, page=page)
    assert added.status_code == 303
    listing = await alice.get(page)
    assert "spam.example" in listing.text
    async with runtime.db.reader() as session:
        assert list(await session.scalars(select(AccountDomainBlock.domain))) == ["spam.example"]
    removed = await alice.post(page, {"remove": "spam.example"}, page=page)
    assert removed.status_code == 303
    assert "None." in (await alice.get(page)).text
