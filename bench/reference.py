"""The reference server for the home bench: a minimal ASGI app that answers every request with
one fixed body, served by granian exactly as `parley serve` serves Parley (same options).

    python -m bench.reference --port 8001 --body page.html [--content-type text/html...]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Message, Receive, Send], Awaitable[None]]


def build(body: bytes, content_type: str) -> App:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def app_factory() -> App:
    """Entry point for granian's worker process (reads what main() put in the environment)."""
    body = Path(os.environ["BENCH_REFERENCE_BODY"]).read_bytes()
    return build(body, os.environ["BENCH_REFERENCE_CONTENT_TYPE"])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reference")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", required=True, type=Path)
    parser.add_argument("--content-type", default="text/html; charset=utf-8")
    args = parser.parse_args(argv)
    os.environ["BENCH_REFERENCE_BODY"] = str(args.body.resolve())
    os.environ["BENCH_REFERENCE_CONTENT_TYPE"] = args.content_type

    from granian.constants import Interfaces
    from granian.server import Server

    # The same options as `parley serve` (parley.cli.serve) with one worker.
    Server(
        "bench.reference:app_factory", address=args.host, port=args.port,
        interface=Interfaces.ASGI, workers=1, factory=True, websockets=True,
    ).serve()  # fmt: skip


if __name__ == "__main__":
    main()
