"""The `parley` command: serve, migrate, worker, admin."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from sqlalchemy.exc import OperationalError

from parley.app import build_runtime, create_app
from parley.config import Settings
from parley.db.migrate import upgrade
from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Role
from parley.domain.accounts.queries import find_user_by_login
from parley.domain.errors import DomainError
from parley.domain.instance import attack_mode
from parley.domain.instance import service as instance
from parley.domain.media import remote as remote_media
from parley.domain.media import service as media_service
from parley.domain.moderation import ip_blocks
from parley.edge.ip_access import announce_change
from parley.infra.storage import open_store
from parley.operations import commands as operations
from parley.ops.logs import configure_logging
from parley.runtime import Runtime
from parley.web.mirror import MirrorError, MirrorResult, build_mirror

T = TypeVar("T")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from exc


def _run(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run one async command against the configured instance, mapping domain errors to messages."""

    async def main() -> T:
        runtime = build_runtime(_settings())
        try:
            return await work(runtime)
        finally:
            await runtime.broker.close()
            await runtime.db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    except OperationalError as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            raise click.ClickException(
                "the database has no schema yet: run `parley migrate`"
            ) from exc
        raise click.ClickException(f"database error: {exc.orig}") from exc


@click.group()
def main() -> None:
    """Parley: a self-hostable social network."""


@main.command()
def migrate() -> None:
    """Create the database schema, or upgrade it to this version."""

    async def work(runtime: Runtime) -> None:
        await upgrade(runtime.db.engine)

    _run(work)
    console.print("[green]Database is up to date.[/green]")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="HTTP worker processes")
@click.option("--no-worker", is_flag=True, help="Do not run background jobs in this process")
@click.option(
    "--server", type=click.Choice(["granian", "uvicorn"]), default="granian", show_default=True
)
def serve(host: str, port: int, workers: int, no_worker: bool, server: str) -> None:
    """Serve the web UI, the APIs and federation; runs the job worker in-process by default."""
    settings = _settings().with_secret()
    _run(lambda runtime: upgrade(runtime.db.engine))
    if no_worker:
        settings = settings.model_copy(update={"embedded_worker": False})
    import os

    # The factory re-reads settings in each server process; the secret is already stored.
    os.environ["PARLEY_SECRET_KEY"] = settings.secret_key
    os.environ["PARLEY_EMBEDDED_WORKER"] = "true" if settings.embedded_worker else "false"
    if workers > 1 and not settings.redis_url and settings.page_cache_seconds:
        # Kept pages are dropped by messages between processes, which need Redis.
        click.echo("Several processes without PARLEY_REDIS_URL: the page cache is off.", err=True)
        os.environ["PARLEY_PAGE_CACHE_SECONDS"] = "0"
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "parley.cli:app_factory", factory=True, host=host, port=port, workers=workers,
            log_level="info", proxy_headers=True, access_log=False, log_config=None,
        )  # fmt: skip
        return
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "parley.cli:app_factory", address=host, port=port, interface=Interfaces.ASGI,
        workers=workers, factory=True, websockets=True,
    ).serve()  # fmt: skip


def app_factory() -> Any:
    """Entry point for the HTTP server processes."""
    settings = Settings()
    configure_logging(settings)  # JSON lines with request ids (parley.ops.logs)
    return create_app(settings)


@main.command()
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit")
def worker(once: bool) -> None:
    """Run background jobs (deliveries, e-mail, ...) until stopped."""
    configure_logging(_settings())  # the same JSON lines as the web processes

    async def work(runtime: Runtime) -> None:
        if once:
            count = await runtime.worker.drain()
            console.print(f"Ran {count} job(s).")
        else:
            await runtime.worker.run_forever()

    _run(work)


@main.group()
def admin() -> None:
    """Administer accounts and the instance."""


@admin.command("create-user")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", help="Generated and printed when omitted")
@click.option("--role", type=click.Choice(Role.ALL), default=Role.MEMBER, show_default=True)
def create_user(username: str, email: str, password: str | None, role: str) -> None:
    """Create a local account (bypasses the registration mode)."""
    chosen = password or secrets.token_urlsafe(12)

    async def work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            await accounts.register(
                session, runtime.ctx, username=username, email=email, password=chosen,
                rules_accepted=True, role=role, by_admin=True,
            )  # fmt: skip

    _run(work)
    click.echo(f"Created @{username} ({role}).")
    if password is None:
        click.echo(f"Password: {chosen}")


@admin.command("set-role")
@click.argument("login")
@click.argument("role", type=click.Choice(Role.ALL))
def set_role(login: str, role: str) -> None:
    """Give a member (username or e-mail) a role."""

    async def work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            user = await find_user_by_login(session, login)
            if user is None:
                raise click.ClickException(f"no local account {login!r}")
            await accounts.set_role(session, user=user, role=role)

    _run(work)
    click.echo(f"{login} is now {role}.")


@admin.command("reset-password")
@click.argument("login")
def reset_password(login: str) -> None:
    """Set a new random password for a member and print it."""
    chosen = secrets.token_urlsafe(12)

    async def work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            user = await find_user_by_login(session, login)
            if user is None:
                raise click.ClickException(f"no local account {login!r}")
            user.password_hash = await runtime.ctx.passwords.hash(chosen)
            await accounts.end_all_sign_ins(session, user=user)

    _run(work)
    click.echo(f"New password for {login}: {chosen}")


@admin.command("add-rule")
@click.argument("text")
@click.option("--hint", default="")
def add_rule(text: str, hint: str) -> None:
    """Add a server rule (shown at sign-up and on /about)."""

    async def work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            await instance.add_rule(session, text=text, hint=hint)

    _run(work)
    click.echo("Rule added.")


@admin.command("under-attack")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
def under_attack(state: str) -> None:
    """Ask anonymous browsers for a proof-of-work before pages (docs/operations.md)."""

    async def work(runtime: Runtime) -> attack_mode.AttackMode:
        async with runtime.db.transaction() as session:
            if state == "status":
                return await attack_mode.get_attack_mode(session)
            return await attack_mode.set_under_attack(session, on=state == "on")

    mode = _run(work)
    if mode.manual:
        click.echo("Under-attack mode is on (switched on by an admin).")
    elif mode.active():
        assert mode.auto_until is not None
        click.echo(
            f"Under-attack mode is on automatically until {mode.auto_until:%Y-%m-%d %H:%M} UTC."
        )
    else:
        click.echo("Under-attack mode is off.")


@admin.command("unblock-ip")
@click.argument("address")
def unblock_ip(address: str) -> None:
    """Lift every IP block on an address or range, or on a range holding it (the way back in
    when an admin has blocked their own network)."""

    async def work(runtime: Runtime) -> list[str]:
        async with runtime.db.transaction() as session:
            lifted = await ip_blocks.lift_ip_blocks(session, address)
        if lifted:
            await announce_change(runtime.broker)
        return lifted

    lifted = _run(work)
    if not lifted:
        raise click.ClickException(f"no IP block covers {address}")
    click.echo(
        f"Lifted: {', '.join(lifted)}. Web processes follow within a minute (at once with Redis)."
    )


@admin.command("set")
@click.argument("key")
@click.argument("value")
def set_setting(key: str, value: str) -> None:
    """Change an instance setting (name, description, contact_email, registration_mode,
    max_post_chars, ...)."""
    parsed: Any = int(value) if value.isdigit() else value

    async def work(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            await instance.update_instance_info(session, **{key: parsed})

    _run(work)
    click.echo(f"{key} = {value}")


@main.group()
def media() -> None:
    """Media files: clean-up of cached remote copies and abandoned uploads."""


@media.command("prune")
@click.option("--days", default=7, show_default=True, type=int, help="Keep remote copies newer")
def prune_media(days: int) -> None:
    """Delete cached remote files older than DAYS and uploads never attached (after 24 h)."""

    async def work(runtime: Runtime) -> tuple[int, int]:
        store = open_store(runtime.settings)
        async with runtime.db.transaction() as session:
            cached = await remote_media.prune_cache(session, store, older_than_days=days)
            unattached = await media_service.prune_unattached(session, store)
        return cached, unattached

    cached, unattached = _run(work)
    click.echo(f"Removed {cached} cached remote files and {unattached} unattached uploads.")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--base-url",
    help="Address the mirror will be served from, for the links in its feeds "
    "(default: this instance's address)",
)
def mirror(directory: Path, base_url: str | None) -> None:
    """Render public profiles and parleys as a static site in DIRECTORY (incremental)."""
    from rich.progress import Progress

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise click.BadParameter("must start with https:// or http://", param_hint="--base-url")

    async def work(runtime: Runtime) -> MirrorResult:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Rendering the mirror", total=None)
            try:
                return await build_mirror(
                    runtime.db, runtime.settings, directory, base_url=base_url,
                    on_plan=lambda total: progress.update(task, total=total),
                    on_progress=lambda done: progress.advance(task, done),
                )  # fmt: skip
            except MirrorError as exc:
                raise click.ClickException(str(exc)) from exc

    result = _run(work)
    click.echo(
        f"Mirror in {directory}: {len(result.written)} file(s) written, "
        f"{len(result.removed)} removed, {result.unchanged} unchanged "
        f"({result.seconds:.1f} s)."
    )


main.add_command(operations.backup)
main.add_command(operations.restore)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
