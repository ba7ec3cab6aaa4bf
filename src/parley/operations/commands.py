"""The `parley backup` and `parley restore` commands (added to the `parley` group in cli.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from parley.config import Settings
from parley.operations.backup import backup as make_backup
from parley.operations.errors import OperationRefused
from parley.operations.progress import RichReporter
from parley.operations.restore import restore as make_restore

T = TypeVar("T")
console = Console(stderr=True)

CARRY_OVER = (
    "Not in the archive, to carry over yourself: the environment (PARLEY_DOMAIN must stay the "
    "same; PARLEY_SECRET_KEY, or the data folder's .parley-secret-key, keeps 2FA sign-ins in "
    "progress valid; SMTP and S3 credentials), and media kept in S3, which stays in its bucket."
)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from exc


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except OperationRefused as exc:
        raise click.ClickException(exc.message) from exc
    except DBAPIError as exc:
        raise click.ClickException(f"database error: {exc.orig}") from exc
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or 'file'}: {exc.strerror}") from exc


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace ARCHIVE if it already exists")
def backup(archive: Path, overwrite: bool) -> None:
    """Write the whole instance into ARCHIVE: a consistent database snapshot (with the actors'
    keys and the instance settings), the media folder and the non-secret configuration."""
    settings = _settings()
    with RichReporter(console) as progress:
        report = _run(make_backup(settings, archive, progress=progress, overwrite=overwrite))
    click.echo(
        f"Wrote {report.path} ({_megabytes(report.size)}) in {report.seconds:.1f} s: "
        f"{report.rows:,} rows in {report.tables} tables, {report.actor_keys} actor keys, "
        f"{report.media_files:,} media files ({_megabytes(report.media_bytes)})."
    )
    click.echo(CARRY_OVER)


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace an instance already in the database and media folder (the old media folder "
    "is kept aside)",
)
@click.option(
    "--allow-domain-change",
    is_flag=True,
    help="Restore under another PARLEY_DOMAIN (a copy for inspection: it cannot federate)",
)
def restore(archive: Path, force: bool, allow_domain_change: bool) -> None:
    """Rebuild the instance from ARCHIVE into the configured (empty) database and media
    folder. The archive is checked in full first; a damaged one changes nothing."""
    settings = _settings()
    with RichReporter(console) as progress:
        work = make_restore(
            settings, archive, progress=progress, force=force,
            allow_domain_change=allow_domain_change,
        )  # fmt: skip
        report = _run(work)
    manifest = report.manifest
    click.echo(
        f"Restored {manifest.domain} (backed up {manifest.created_at} from "
        f"{manifest.source_engine}) in {report.seconds:.1f} s: {report.rows:,} rows in "
        f"{report.tables} tables, {report.actor_keys} actor keys, {report.media_files:,} media "
        f"files ({_megabytes(report.media_bytes)})."
    )
    if report.replaced_media is not None:
        click.echo(f"The media folder that was there is now {report.replaced_media}.")
    for note in report.notes:
        click.echo(f"Note: {note}")
    click.echo(CARRY_OVER)
