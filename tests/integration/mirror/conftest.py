"""Mirror test helpers: members who post through the real services, and a mirror to run."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from parley.domain.accounts.models import Account, User
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post
from parley.runtime import Runtime
from parley.web.mirror import MirrorResult, build_mirror
from tests.conftest import Members

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
ATTR_RE = re.compile(r'(?:href|src)="([^"]+)"')


class Site:
    def __init__(self, runtime: Runtime, members: Members, root: Path) -> None:
        self.runtime = runtime
        self.members = members
        self.root = root

    async def member(self, username: str) -> Account:
        user: User = await self.members.create(username)
        async with self.runtime.db.reader() as session:
            account = await session.get(Account, user.account_id)
        assert account is not None
        return account

    async def post(self, author: Account, text: str, **fields: Any) -> Post:
        async with self.runtime.db.transaction() as session:
            return await posts.create_post(
                session, self.runtime.ctx, author=author, text=text, **fields
            )

    async def mirror(self, **options: Any) -> MirrorResult:
        return await build_mirror(self.runtime.db, self.runtime.settings, self.root, **options)

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def everything(self) -> str:
        """Every byte the mirror holds, as text: for "this must appear nowhere" checks."""
        return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in self.files())


@pytest.fixture
def site(runtime: Runtime, members: Members, tmp_path: Path) -> Site:
    return Site(runtime, members, tmp_path / "mirror")


class NestingChecker(HTMLParser):
    """Fails on what a browser would have to repair: a close tag that does not match."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def check_html(text: str) -> list[str]:
    checker = NestingChecker()
    checker.feed(text)
    checker.close()
    errors = list(checker.errors)
    if not checker.doctype:
        errors.append("no <!doctype html>")
    if checker.stack:
        errors.append(f"unclosed: {checker.stack}")
    return errors


def relative_links(text: str) -> list[str]:
    return [
        link
        for link in ATTR_RE.findall(text)
        if not link.startswith(("http://", "https://", "#", "mailto:"))
    ]
