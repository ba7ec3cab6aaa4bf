"""Under-attack mode: anonymous browsers solve a small proof-of-work before pages are served.

Never asked of: API clients (anything under /api/, the OAuth token endpoints, any request with
a live token), signed-in members, federation (inbox deliveries; HTTP-signed or AS2 requests get
their AS2 documents, but never an HTML page without the check), health and metrics, static
and media files, /.well-known and /nodeinfo. A solved challenge sets a signed cookie, bound to
the client's address, that lets the browser in for PARLEY_UNDER_ATTACK_PASS_HOURS.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.edge import challenge
from parley.edge.caller import Caller
from parley.edge.doors import API_PATHS, INBOX, is_unlimited
from parley.edge.guard import Guard
from parley.edge.pages import page

CHALLENGE_PATH = "/_edge/challenge"
EXEMPT_PREFIXES = (
    "/api/",
    "/static/",
    "/media/",
    "/.well-known/",
    "/nodeinfo",
    "/favicon.ico",
    "/robots.txt",
)
MAX_FORM_BYTES = 4096

SCRIPT = """<script>
(async () => {
  const form = document.getElementById("pow");
  const challenge = form.challenge.value, bits = Number(form.bits.value);
  const status = document.getElementById("status");
  if (!(window.crypto && crypto.subtle)) {
    status.textContent = "Your browser cannot do this check here (it needs a secure page).";
    return;
  }
  const encoder = new TextEncoder();
  const zeroBits = (bytes) => {
    let n = 0;
    for (const b of bytes) {
      if (b === 0) { n += 8; continue; }
      return n + Math.clz32(b) - 24;
    }
    return n;
  };
  for (let i = 0; ; i++) {
    const hash = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + i));
    if (zeroBits(new Uint8Array(hash)) >= bits) {
      form.answer.value = String(i);
      form.submit();
      return;
    }
    if (i % 5000 === 0) status.textContent = "Checking your browser\u2026 " + i;
  }
})();
</script>"""


def exempt(caller: Caller, member: str | None) -> bool:
    """Never challenged. A token counts only once found live and a member's (`member` is
    `account:<id>`): a made-up one, or an app's own token, which anyone can get, is not a
    way past the check."""
    path = caller.path
    if is_unlimited(path) or path.startswith(EXEMPT_PREFIXES) or path in API_PATHS:
        return True
    if caller.method == "POST" and INBOX.match(path):
        return True
    return member is not None and member.startswith("account:")


def federation_like(caller: Caller) -> bool:
    """Looks like a server (a Signature or an AS2 Accept, neither checked here): it gets what
    it asks for, but an HTML answer is swapped for the challenge, so faking these headers
    does not get pages past the check."""
    return caller.signed or caller.wants_as2


def safe_next(target: str) -> str:
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def challenge_page(guard: Guard, caller: Caller) -> Response:
    settings = guard.settings
    bits = settings.under_attack_difficulty
    token = challenge.new_challenge(settings.secret_key, caller.ip_key, bits)
    query = caller.scope.get("query_string", b"").decode("latin-1")
    target = caller.path + (f"?{query}" if query else "") if caller.method == "GET" else "/"
    body = f"""<h1>Checking your browser</h1>
<p>This site is receiving a lot of traffic, so visitors who are not signed in are asked for a
quick check. Your browser is doing a small calculation; the page opens by itself in a few
seconds.</p>
<form id="pow" method="post" action="{CHALLENGE_PATH}">
<input type="hidden" name="challenge" value="{escape(token)}">
<input type="hidden" name="bits" value="{bits}">
<input type="hidden" name="answer" value="">
<input type="hidden" name="next" value="{escape(target)}">
</form>
<p id="status" class="muted">Checking your browser&hellip;</p>
<noscript><p><strong>JavaScript is needed for this check.</strong> While the site is under
heavy load, visitors who are not signed in are asked to let their browser solve a small
puzzle. Turn on JavaScript and reload, or come back later. Apps and other servers are not
affected.</p></noscript>
{SCRIPT}"""
    response = page("Checking your browser", body, status=503)
    response.headers["Retry-After"] = "5"
    return response


async def read_small_form(receive: Receive) -> dict[str, str] | None:
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return None
    fields = parse_qs(body.decode("latin-1"))
    return {name: values[0] for name, values in fields.items() if values}


class UnderAttackMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = self.guard
        caller = guard.caller(scope)
        if caller.path == CHALLENGE_PATH and caller.method == "POST":
            await (await self.answer(caller, receive))(scope, receive, send)
            return
        member = await guard.member(caller)
        if exempt(caller, member):
            await self.app(scope, receive, send)
            return
        if not guard.safelisted(caller) and caller.wants_html:
            await guard.attack.note_anonymous_page()
        if not await guard.attack.active() or self.has_pass(caller):
            await self.app(scope, receive, send)
            return
        if federation_like(caller):
            await self.app(scope, receive, self._no_html(caller, scope, receive, send))
            return
        guard.metrics.challenged("served")
        await challenge_page(guard, caller)(scope, receive, send)

    def _no_html(self, caller: Caller, scope: Scope, receive: Receive, send: Send) -> Send:
        swapped = False

        async def send_unless_html(message: Message) -> None:
            nonlocal swapped
            if message["type"] == "http.response.start":
                kind = Headers(raw=message.get("headers", [])).get("content-type", "")
                if kind.startswith("text/html"):
                    swapped = True
                    self.guard.metrics.challenged("served")
                    await challenge_page(self.guard, caller)(scope, receive, send)
                    return
            if not swapped:
                await send(message)

        return send_unless_html

    def has_pass(self, caller: Caller) -> bool:
        cookie = ""
        for part in caller.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == challenge.PASS_COOKIE:
                cookie = value
        secret = self.guard.settings.secret_key
        return bool(cookie) and challenge.valid_pass(secret, caller.ip_key, cookie)

    async def answer(self, caller: Caller, receive: Receive) -> Response:
        guard = self.guard
        settings = guard.settings
        kind = Headers(scope=caller.scope).get("content-type", "")
        form = await read_small_form(receive) if "urlencoded" in kind else None
        if form is None or not challenge.check_answer(
            settings.secret_key,
            caller.ip_key,
            form.get("challenge", ""),
            form.get("answer", ""),
        ):
            guard.metrics.challenged("failed")
            response: Response = page(
                "Check failed",
                "<h1>That check did not work</h1><p>It may have expired. "
                f'<a href="{escape(safe_next((form or {}).get("next", "/")))}">Try again</a>.</p>',
                status=403,
            )
            return response
        guard.metrics.challenged("solved")
        target = safe_next(form.get("next", "/"))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            challenge.PASS_COOKIE,
            challenge.new_pass(
                settings.secret_key, caller.ip_key, hours=settings.under_attack_pass_hours
            ),
            max_age=settings.under_attack_pass_hours * 3600,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
        response.headers["Cache-Control"] = "no-store"
        return response
