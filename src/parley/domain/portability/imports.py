"""Importing Mastodon CSV files: checked whole at upload, applied row by row by a job.

An upload with any bad row is refused and imports nothing. Accepted rows are resolved
(remote accounts fetched through the federation adapter) and applied in small batches,
each committed with the progress counter, so the member sees progress and a retried job
carries on. Rows that cannot be applied (an account that no longer exists, a post this
server never saw) are listed as failures; the rest go in.

Modes, as on Mastodon: merge adds to what the member has; overwrite first removes the
follows, blocks, mutes, bookmarks or lists that the file does not list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.engine import Database
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import find_account_by_acct
from parley.domain.context import DomainContext
from parley.domain.errors import DomainError, Invalid, NotFound
from parley.domain.federation.remote_posts import find_post_by_uri
from parley.domain.interactions import service as interactions
from parley.domain.interactions.models import Bookmark
from parley.domain.portability.csv_formats import Kind, Row, parse_import
from parley.domain.portability.models import AccountImport, ImportMode, ImportState
from parley.domain.posts.models import Post
from parley.domain.relationships import service as relationships
from parley.domain.relationships.models import Block, Follow, Mute
from parley.domain.timelines import lists
from parley.domain.timelines.models import List, ListMember
from parley.jobs.queue import enqueue

log = logging.getLogger(__name__)

IMPORT_JOB = "portability.import"
BATCH = 50
MAX_PENDING = 5
MAX_FAILURES_KEPT = 200


async def check_pending(session: AsyncSession, account_id: int) -> None:
    pending = await session.scalar(
        select(func.count())
        .select_from(AccountImport)
        .where(AccountImport.account_id == account_id, AccountImport.state == ImportState.QUEUED)
    )
    if (pending or 0) >= MAX_PENDING:
        raise Invalid("file", "Wait for your earlier imports to finish first")


async def start_csv_import(
    session: AsyncSession, *, account: Account, kind: str, mode: str, data: bytes, file_name: str
) -> AccountImport:
    """Check the whole file; if every row is good, queue it for the import job."""
    if mode not in ImportMode.ALL:
        raise Invalid("mode", "Choose merge or overwrite")
    rows = parse_import(kind, data)
    await check_pending(session, account.id)
    task = AccountImport(
        account_id=account.id,
        kind=kind,
        mode=mode,
        file_name=file_name[:200],
        rows=[row.as_dict() for row in rows],
        total=len(rows),
    )
    session.add(task)
    await session.flush()
    await enqueue(session, IMPORT_JOB, {"import_id": task.id})
    return task


async def list_imports(session: AsyncSession, account_id: int) -> list[AccountImport]:
    return list(
        await session.scalars(
            select(AccountImport)
            .where(AccountImport.account_id == account_id)
            .order_by(AccountImport.id.desc())
            .limit(20)
        )
    )


def _acct_of(account: Account, local_domain: str) -> str:
    return f"{account.username}@{account.domain or local_domain}".lower()


async def resolve_acct(db: Database, ctx: DomainContext, acct: str) -> Account | None:
    """The account `user@host` names: local, already known, or fetched now."""
    username, _, host = acct.partition("@")
    host = host.lower()
    local = host == ctx.settings.domain.lower()
    async with db.reader() as session:
        found = await find_account_by_acct(session, username, None if local else host)
    if found is not None or local or ctx.resolve_remote_account is None:
        return found
    try:
        account_id = await ctx.resolve_remote_account(acct)
    except Exception:  # a remote failure is this row's failure, not the import's
        log.info("import could not resolve %s", acct, exc_info=True)
        return None
    if account_id is None:
        return None
    async with db.reader() as session:
        return await session.get(Account, account_id)


@dataclass(slots=True)
class _Outcome:
    imported: int = 0
    failures: list[str] | None = None


async def run_import(db: Database, ctx: DomainContext, import_id: int) -> None:
    """The `portability.import` job for a CSV import (see the archive module for posts)."""
    async with db.reader() as session:
        task = await session.get(AccountImport, import_id)
    if task is None or task.state != ImportState.QUEUED or task.kind not in Kind.ALL:
        return
    if task.processed == 0 and task.mode == ImportMode.OVERWRITE:
        async with db.transaction() as session:
            await _overwrite(session, task, ctx.settings.domain)
    rows = [Row.from_dict(r) for r in task.rows]
    start = task.processed
    while start < len(rows):
        batch = rows[start : start + BATCH]
        targets = {}
        if task.kind != Kind.BOOKMARKS:
            for row in batch:
                if row.acct.lower() not in targets:
                    targets[row.acct.lower()] = await resolve_acct(db, ctx, row.acct)
        async with db.transaction() as session:
            stored = await session.get(AccountImport, import_id)
            owner = await session.get(Account, task.account_id)
            if stored is None or owner is None or stored.processed != start:
                return  # deleted, or another worker is on it
            failures = list(stored.failures or [])
            for row in batch:
                problem = await _apply(session, owner, task.kind, row, targets)
                if problem is None:
                    stored.imported += 1
                elif len(failures) < MAX_FAILURES_KEPT:
                    failures.append(f"{row.acct or row.uri}: {problem}")
            stored.failures = failures
            start += len(batch)
            stored.processed = start
            if start >= len(rows):
                stored.state = ImportState.DONE
                stored.finished_at = utcnow()
    if not rows:
        async with db.transaction() as session:
            stored = await session.get(AccountImport, import_id)
            if stored is not None:
                stored.state, stored.finished_at = ImportState.DONE, utcnow()


async def _apply(
    session: AsyncSession,
    owner: Account,
    kind: str,
    row: Row,
    targets: dict[str, Account | None],
) -> str | None:
    """Apply one row; the reason it could not be, or None."""
    if kind == Kind.BOOKMARKS:
        post = await find_post_by_uri(session, row.uri) or await session.scalar(
            select(Post).where(Post.url == row.uri).limit(1)
        )
        if post is None:
            return "this server does not know that post"
        try:
            async with session.begin_nested():
                await interactions.bookmark_post(session, actor=owner, post_id=post.id)
        except DomainError as exc:
            return exc.message
        return None
    found = targets.get(row.acct.lower())
    target = None if found is None else await session.get(Account, found.id)
    if target is None or target.suspended_at is not None:
        return "account not found"
    try:
        async with session.begin_nested():
            if kind == Kind.FOLLOWING:
                await relationships.follow_account(
                    session,
                    follower=owner,
                    target=target,
                    show_echoes=row.show_echoes,
                    notify=row.notify,
                )
            elif kind == Kind.BLOCKING:
                await relationships.block_account(session, actor=owner, target=target)
            elif kind == Kind.MUTING:
                await relationships.mute_account(
                    session, actor=owner, target=target, hide_notifications=row.hide_notifications
                )
            else:
                return await _add_to_list(session, owner, row.list_name, target)
    except DomainError as exc:
        return exc.message
    return None


async def _add_to_list(
    session: AsyncSession, owner: Account, title: str, target: Account
) -> str | None:
    found = await session.scalar(
        select(List).where(List.account_id == owner.id, List.title == title).limit(1)
    )
    if found is None:
        found = await lists.create_list(session, owner=owner, title=title)
    # As on Mastodon, listing someone means following them.
    await relationships.follow_account(session, follower=owner, target=target)
    following = await session.scalar(
        select(Follow.id).where(Follow.account_id == owner.id, Follow.target_id == target.id)
    )
    if following is None:
        return "follow requested; add them to the list once they accept"
    await lists.add_list_members(session, owner=owner, list_id=found.id, account_ids=[target.id])
    return None


async def _overwrite(session: AsyncSession, task: AccountImport, local_domain: str) -> None:
    """Remove what the member has of this kind that the file does not list."""
    owner = await session.get(Account, task.account_id)
    if owner is None:
        raise NotFound("Record not found")
    rows = [Row.from_dict(r) for r in task.rows]
    if task.kind == Kind.BOOKMARKS:
        keep = {row.uri for row in rows}
        marks = await session.execute(
            select(Bookmark.post_id, Post.uri, Post.url)
            .join(Post, Post.id == Bookmark.post_id)
            .where(Bookmark.account_id == owner.id)
        )
        for post_id, uri, url in marks.all():
            if uri not in keep and url not in keep:
                await interactions.remove_bookmark(session, actor=owner, post_id=post_id)
        return
    if task.kind == Kind.LISTS:
        titles = {row.list_name for row in rows}
        for found in await session.scalars(select(List).where(List.account_id == owner.id)):
            if found.title not in titles:
                await lists.delete_list(session, owner=owner, list_id=found.id)
            else:
                await session.execute(delete(ListMember).where(ListMember.list_id == found.id))
        return
    keep = {row.acct.lower() for row in rows}
    model: type[Follow] | type[Block] | type[Mute] = Follow
    if task.kind == Kind.BLOCKING:
        model = Block
    elif task.kind == Kind.MUTING:
        model = Mute
    current = await session.scalars(
        select(Account)
        .join(model, model.target_id == Account.id)
        .where(model.account_id == owner.id)
    )
    for target in list(current):
        if _acct_of(target, local_domain) in keep:
            continue
        if task.kind == Kind.FOLLOWING:
            await relationships.unfollow_account(session, follower=owner, target=target)
        elif task.kind == Kind.BLOCKING:
            await relationships.unblock_account(session, actor=owner, target=target)
        else:
            await relationships.unmute_account(session, actor=owner, target=target)
