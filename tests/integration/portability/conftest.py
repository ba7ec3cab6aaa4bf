"""Browsers for the portability pages (the web tests' helpers), and file uploads."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from parley.domain.accounts.models import Account
from parley.runtime import Runtime
from tests.integration.web.conftest import Browser, browser, browser_factory

__all__ = ["account_named", "browser", "browser_factory", "upload"]


async def upload(
    browser: Browser, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]
) -> httpx.Response:
    """Post a multipart form with files, with this browser's CSRF token."""
    data = {**fields, "csrf_token": await browser.csrf("/settings/import")}
    return await browser.client.post(path, data=data, files=files)


async def account_named(runtime: Runtime, username: str) -> Account:
    async with runtime.db.reader() as session:
        found = await session.scalar(select(Account).where(Account.username == username))
    assert found is not None
    return found
