"""A real PostgreSQL 15 for the tests, started from the installed Debian binaries.

One throwaway server per test session: `initdb` into a temporary folder, `postgres` on a free
loopback port with durability switched off (fsync, synchronous_commit, full_page_writes: the
data is thrown away anyway), the schema migrated once into `parley_template`, and every test
gets `CREATE DATABASE t_<n> TEMPLATE parley_template`, dropped again when the test ends.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
(created if missing) and owns its temporary folder. Binaries come from
`/usr/lib/postgresql/15/bin` unless `PARLEY_TEST_PG_BIN` names another folder; install them
with `./scripts/install-test-system`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from tests.databases import _migrate

T = TypeVar("T")

DEFAULT_BIN = Path("/usr/lib/postgresql/15/bin")
SERVICE_USER = "postgres"
SUPERUSER = "postgres"
TEMPLATE = "parley_template"
OWNER_FILE = "owner.pid"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
    "max_wal_size": "1GB",
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ensure_service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVICE_USER],
            check=True,
        )  # fmt: skip
        return pwd.getpwnam(SERVICE_USER)


def _scratch_dir() -> str | None:
    """Where the throwaway cluster lives: `PARLEY_TEST_PG_DIR`, else /dev/shm when it has
    room, else the system temp folder. Not under pytest's tmp folder: that one is private to
    root, and the server may run as another user.

    Why tmpfs: on this project's ext4 VMs, CREATE DATABASE takes 200-400 ms on disk even
    with fsync off (file creation is journaled), 15 ms on tmpfs.
    """
    chosen = os.environ.get("PARLEY_TEST_PG_DIR")
    if chosen:
        return chosen
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2**30:
            return str(shm)
    except OSError:
        pass
    return None


class _Loop:
    """An event loop in its own thread, so the sync fixtures can talk to the server whether
    or not the calling thread already runs a loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class PostgresServer:
    """A throwaway PostgreSQL server in a temporary folder, on a free loopback port."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or Path(os.environ.get("PARLEY_TEST_PG_BIN", DEFAULT_BIN))
        if not (self.bin_dir / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL binaries not found in {self.bin_dir}: "
                "run ./scripts/install-test-system (Debian: apt-get install postgresql-15)"
            )
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="parley-pg-", dir=_scratch_dir()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.running = False
        (self.root / OWNER_FILE).write_text(str(os.getpid()))
        if self.as_root:
            user = _ensure_service_user()
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def _command(self, *args: str) -> list[str]:
        if self.as_root:
            return ["runuser", "-u", SERVICE_USER, "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            self._command(*args), capture_output=True, text=True, check=False, cwd=self.root
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log.read_text().splitlines()[-30:])
        except OSError:
            return ""

    def sweep_orphans(self) -> None:
        """Stop and remove clusters left by test runs that were killed (their owner is gone),
        so they do not pile up in memory. Clusters of running test sessions are left alone."""
        for folder in self.root.parent.glob("parley-pg-*"):
            if folder == self.root:
                continue
            try:
                owner = int((folder / OWNER_FILE).read_text())
                os.kill(owner, 0)
                continue  # still running
            except ProcessLookupError:
                pass
            except (OSError, ValueError):
                continue  # not ours to judge
            if (folder / "data" / "postmaster.pid").exists():
                subprocess.run(
                    self._command(
                        str(self.bin_dir / "pg_ctl"), "stop", "--pgdata", str(folder / "data"),
                        "--mode", "immediate", "--wait",
                    ),
                    capture_output=True, check=False, cwd=folder,
                )  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)

    def start(self) -> None:
        self.sweep_orphans()
        self._run(
            str(self.bin_dir / "initdb"), "--pgdata", str(self.data), "--username", SUPERUSER,
            "--auth", "trust", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# parley tests: throwaway data, speed over durability\n")
            for key, value in SETTINGS.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"unix_socket_directories = '{self.root}'\n")
        # Another process may take the port between probing and binding: try a few.
        for _attempt in range(5):
            self.port = _free_port()
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"), "start", "--pgdata", str(self.data),
                    "--log", str(self.log), "--wait", "--timeout", "60",
                    "-o", f"-p {self.port}",
                )  # fmt: skip
            except RuntimeError:
                if "could not bind" in self._log_tail() or "in use" in self._log_tail():
                    continue
                raise
            self.running = True
            return
        raise RuntimeError(f"PostgreSQL did not start:\n{self._log_tail()}")

    def url(self, database: str, *, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.running:
            self.running = False
            subprocess.run(
                self._command(
                    str(self.bin_dir / "pg_ctl"), "stop", "--pgdata", str(self.data),
                    "--mode", "immediate", "--wait",
                ),
                capture_output=True, check=False, cwd=self.root,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


class PostgresDatabases:
    """The PostgreSQL side of tests/databases.py: same interface as `TestDatabases`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server = PostgresServer()
        self._names = itertools.count(1)
        self._loop: _Loop | None = None
        self._admin: asyncpg.Connection | None = None
        atexit.register(self.close)
        try:
            self.server.start()
            self._loop = _Loop()
            self._admin = self._loop.run(
                asyncpg.connect(self.server.url("postgres", driver="postgresql"))
            )
            self._execute(f"CREATE DATABASE {TEMPLATE}")
            _migrate(self.server.url(TEMPLATE))
        except BaseException:
            self.close()
            raise

    def _execute(self, sql: str) -> None:
        assert self._loop is not None
        assert self._admin is not None
        self._loop.run(self._admin.execute(sql))

    def fresh(self, tmp_path: Path) -> str:
        name = f"t_{next(self._names)}"
        # FILE_COPY copies the template's files: on tmpfs about 15 ms, half of WAL_LOG's time.
        self._execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.server.url(name)

    def release(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        # FORCE: a test that leaked a connection must not make the next one fail.
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self._loop is not None:
            if self._admin is not None:
                # The server goes away next anyway.
                with contextlib.suppress(Exception):
                    self._loop.run(self._admin.close(timeout=5))
                self._admin = None
            self._loop.close()
            self._loop = None
        self.server.stop()
