"""The masto JavaScript client (what Elk and Phanpy build on) against a live Parley.

The client and a Node 22 binary come from npm, pinned in tests/interop/masto's lockfile and
installed there with `npm ci` on first run; node_modules is not committed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import PASSWORD, Members
from tests.integration.streaming.conftest import Live

HERE = Path(__file__).parent / "masto"
NODE = HERE / "node_modules" / ".bin" / "node"

pytestmark = pytest.mark.slow


async def _run(*command: str, env: dict[str, str] | None = None, seconds: float) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=HERE,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(seconds):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, f"{command[0]} failed:\n{out.decode()}\n{err.decode()}"
    return out.decode()


async def _installed() -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the masto interop test needs it")
    if not NODE.exists() or not (HERE / "node_modules" / "masto").exists():
        await _run(npm, "ci", "--no-audit", "--no-fund", seconds=600)
    return NODE


async def test_masto_logs_in_posts_interacts_and_streams(live: Live, members: Members) -> None:
    node = await _installed()
    alice = await members.create("alice")
    bob = await members.create("bob")
    out = await _run(
        str(node),
        "smoke.mjs",
        env={
            "PARLEY_URL": live.url,
            "ALICE_LOGIN": alice.email,
            "BOB_LOGIN": bob.email,
            "PASSWORD": PASSWORD,
        },
        seconds=120,
    )
    findings = json.loads(out.strip().splitlines()[-1])
    assert findings["account"] == "alice"
    assert findings["streamed"] == findings["expected"]


def _hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


async def test_masto_signs_up_and_signs_in_by_authorization_code(live: Live) -> None:
    node = await _installed()
    registered = json.loads(
        (
            await _run(
                str(node),
                "signin.mjs",
                "register",
                env={"PARLEY_URL": live.url, "USERNAME": "dora", "PASSWORD": PASSWORD},
                seconds=60,
            )
        )
        .strip()
        .splitlines()[-1]
    )
    assert registered["username"] == "dora"
    # The person's part: Parley's sign-in and consent page, in a "browser".
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as browser:
        page = await browser.get(
            "/oauth/authorize",
            params={
                "client_id": registered["clientId"],
                "redirect_uri": "https://app.example/callback",
                "response_type": "code",
                "scope": "read write follow",
                "state": "masto",
            },
        )
        assert page.status_code == 200
        consent = await browser.post(
            "/oauth/authorize",
            data={**_hidden_fields(page.text), "login": "dora", "password": PASSWORD},
        )
        assert consent.status_code == 200, consent.text
        approved = await browser.post(
            "/oauth/authorize", data={**_hidden_fields(consent.text), "action": "approve"}
        )
    assert approved.status_code == 303
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    assert query["state"] == ["masto"]
    signed_in = json.loads(
        (
            await _run(
                str(node),
                "signin.mjs",
                "code",
                env={
                    "PARLEY_URL": live.url,
                    "CLIENT_ID": registered["clientId"],
                    "CLIENT_SECRET": registered["clientSecret"],
                    "CODE": query["code"][0],
                },
                seconds=60,
            )
        )
        .strip()
        .splitlines()[-1]
    )
    assert signed_in["username"] == "dora"
