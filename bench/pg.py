"""Run bench commands against a throwaway PostgreSQL 15 (the one the tests use).

    python -m bench.pg python -m bench.dataset --size S --database-url {url}
    python -m bench.pg --keep-going 'python -m bench.dataset --size S --database-url {url}' \\
        'python -m bench.fanout --label S --database-url {url}'

Starts a server like tests/postgres.py does (initdb into a temporary folder on tmpfs, a free
loopback port, durability off: a bench of the write path on PostgreSQL therefore measures it
without fsync), creates the database `bench`, runs each command with `{url}` replaced by its
URL (each command is one quoted string; `python` means this interpreter), stopping at the
first that fails, then stops the server and deletes its files.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import subprocess
import sys
from collections.abc import Sequence

import asyncpg
from tests.postgres import PostgresServer


async def _create_database(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("CREATE DATABASE bench")
    finally:
        await connection.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pg", description=__doc__)
    parser.add_argument("command", nargs="+", help="a command line, {url} for the database")
    args = parser.parse_args(argv)
    commands = [shlex.split(command) for command in args.command]
    server = PostgresServer()
    status = 0
    try:
        server.start()
        asyncio.run(_create_database(server.url("postgres", driver="postgresql")))
        url = server.url("bench")
        for command in commands:
            words = [word.replace("{url}", url) for word in command]
            if words[0] == "python":
                words[0] = sys.executable
            print("$", " ".join(words), flush=True)
            status = subprocess.run(words, check=False).returncode
            if status:
                break
    finally:
        server.stop()
    raise SystemExit(status)


if __name__ == "__main__":
    main()
