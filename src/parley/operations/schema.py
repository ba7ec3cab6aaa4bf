"""The tables an archive carries, in load order, and whether this Parley can load them."""

from __future__ import annotations

import warnings

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Table
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.db.base import Base
from parley.db.migrate import alembic_config
from parley.domain import models  # noqa: F401  (registers every table on Base.metadata)
from parley.operations.archive import TableDump
from parley.operations.errors import IncompatibleArchive


def tables_in_load_order() -> list[Table]:
    """Every table, referenced tables before the tables that refer to them."""
    with warnings.catch_warnings():
        # A cycle between tables is broken by the restore (see load.py); no need to warn.
        warnings.simplefilter("ignore", SAWarning)
        return list(Base.metadata.sorted_tables)


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def is_known_revision(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def _upgrade_on(connection: Connection, database_url: str) -> None:
    config = alembic_config(database_url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate_in_transaction(connection: AsyncConnection) -> None:
    """Create or upgrade the schema inside the caller's open transaction (alembic sees it
    and neither begins nor commits), so a failed restore rolls the schema back too."""
    url = connection.engine.url.render_as_string(hide_password=False)
    await connection.run_sync(_upgrade_on, url)


async def current_revision(connection: AsyncConnection) -> str | None:
    def read(sync: Connection) -> str | None:
        return MigrationContext.configure(sync).get_current_revision()

    return await connection.run_sync(read)


def check_loadable(revision: str, dumps: list[TableDump]) -> None:
    """Refuse an archive from a newer Parley: an unknown schema revision, or tables and
    columns this version does not have. Columns the archive lacks must have a default."""
    if not is_known_revision(revision):
        raise IncompatibleArchive(
            f"the archive's schema revision {revision!r} is unknown to this Parley (its newest "
            f"is {head_revision()!r}): it was made by a newer Parley; upgrade, then restore"
        )
    tables = Base.metadata.tables
    for dump in dumps:
        table = tables.get(dump.name)
        if table is None:
            raise IncompatibleArchive(
                f"the archive holds a table {dump.name!r} this Parley does not know: it was "
                "made by a newer Parley; upgrade, then restore"
            )
        unknown = [name for name in dump.columns if name not in table.c]
        if unknown:
            raise IncompatibleArchive(
                f"the archive's table {dump.name!r} has columns this Parley does not know "
                f"({', '.join(unknown)}): it was made by a newer Parley; upgrade, then restore"
            )
        for column in table.c:
            if column.name in dump.columns:
                continue
            if not (column.nullable or column.default is not None or column.server_default):
                raise IncompatibleArchive(
                    f"the archive's table {dump.name!r} lacks the column {column.name!r}, "
                    "which this Parley requires"
                )
