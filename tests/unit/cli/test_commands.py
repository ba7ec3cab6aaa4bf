"""The `parley` command: each subcommand works, and bad input gets a clear message and
changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from parley.cli import main


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = tmp_path / "parley.db"
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PARLEY_DOMAIN", "parley.test")
    monkeypatch.setenv("PARLEY_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("PARLEY_PASSWORD_MEMORY_COST_KIB", "1024")
    return database


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def test_commands_before_migrate_say_to_run_migrate(instance: Path) -> None:
    result = run("admin", "create-user", "alice", "--email", "alice@example.org")
    assert result.exit_code == 1
    assert "parley migrate" in result.output


def test_create_user_prints_a_password_and_the_account_works(instance: Path) -> None:
    assert run("migrate").exit_code == 0
    result = run("admin", "create-user", "alice", "--email", "alice@example.org", "--role", "owner")
    assert result.exit_code == 0, result.output
    assert "Created @alice (owner)" in result.output
    assert "Password: " in result.output
    assert count(instance, "users") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("admin", "create-user", "bad name", "--email", "b@example.org"), "letters, digits"),
        (("admin", "create-user", "bob", "--email", "not-an-email"), "valid e-mail"),
        (
            ("admin", "create-user", "bob", "--email", "b@example.org", "--password", "short"),
            "at least 8",
        ),
        (("admin", "create-user", "alice", "--email", "other@example.org"), "already taken"),
        (("admin", "set-role", "nobody", "admin"), "no local account"),
        (("admin", "reset-password", "nobody"), "no local account"),
        (("admin", "set", "registration_mode", "bogus"), "Must be one of"),
        (("admin", "set", "colour", "blue"), "Unknown instance settings"),
        (("admin", "set", "max_post_chars", "0"), "between 1 and 100000"),
        (("admin", "add-rule", "   "), "between 1 and 1000"),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    instance: Path, args: tuple[str, ...], message: str
) -> None:
    assert run("migrate").exit_code == 0
    assert run("admin", "create-user", "alice", "--email", "alice@example.org").exit_code == 0
    before = {t: count(instance, t) for t in ("accounts", "users", "rules", "instance_settings")}
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert {t: count(instance, t) for t in before} == before


def test_unknown_role_is_refused_by_the_option_parser(instance: Path) -> None:
    assert run("migrate").exit_code == 0
    result = run("admin", "create-user", "bob", "--email", "b@example.org", "--role", "king")
    assert result.exit_code == 2
    assert "king" in result.output


def test_settings_and_rules_are_stored(instance: Path) -> None:
    assert run("migrate").exit_code == 0
    assert run("admin", "set", "max_post_chars", "500").exit_code == 0
    assert run("admin", "add-rule", "No threats of violence").exit_code == 0
    with sqlite3.connect(instance) as connection:
        value = connection.execute(
            "SELECT value FROM instance_settings WHERE key = 'max_post_chars'"
        ).fetchone()[0]
        rules = connection.execute("SELECT text FROM rules").fetchall()
    assert value == 500
    assert rules == [("No threats of violence",)]


def test_bad_configuration_is_reported_without_a_traceback(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_DOMAIN", "https://wrong.example")
    result = run("migrate")
    assert result.exit_code == 1
    assert "PARLEY_DOMAIN" in result.output


@pytest.mark.parametrize(
    ("workers", "redis", "kept"),
    [(1, None, "30"), (2, None, "0"), (2, "redis://127.0.0.1:1/0", "30")],
)
def test_serve_turns_the_page_cache_off_for_processes_that_cannot_tell_each_other(
    instance: Path, monkeypatch: pytest.MonkeyPatch, workers: int, redis: str | None, kept: str
) -> None:
    """Kept pages are dropped by messages between processes: several need Redis."""
    import os

    import granian.server

    started: dict[str, str | None] = {}

    class Server:
        def __init__(self, *_args: object, **_kwargs: object) -> None:
            pass

        def serve(self) -> None:
            started["seconds"] = os.environ.get("PARLEY_PAGE_CACHE_SECONDS")

    monkeypatch.setattr(granian.server, "Server", Server)
    monkeypatch.setenv("PARLEY_PAGE_CACHE_SECONDS", "30")
    # serve writes these for its server processes: set here so they are restored afterwards.
    monkeypatch.setenv("PARLEY_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.setenv("PARLEY_EMBEDDED_WORKER", "true")
    if redis:
        monkeypatch.setenv("PARLEY_REDIS_URL", redis)
    assert run("migrate").exit_code == 0
    result = run("serve", "--workers", str(workers))
    assert result.exit_code == 0, result.output
    assert started["seconds"] == kept
    assert ("page cache is off" in result.output) == (kept == "0")
