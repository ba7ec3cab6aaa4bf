"""Discovery: WebFinger (RFC 7033) and host-meta, so `@user@domain` finds our actors."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley.activitypub.federation import Federation
from parley.activitypub.vocab import ACTIVITY_JSON
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import find_local_account

CORS = {"Access-Control-Allow-Origin": "*"}
JRD = "application/jrd+json; charset=utf-8"


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=CORS)


def _username_for(fed: Federation, resource: str) -> str | None:
    """The local username a resource names; None if it names nothing of ours.

    Raises ValueError for a resource that is not an acct: or http(s) URI at all.
    """
    if resource.startswith("acct:"):
        user, at, domain = resource[5:].lstrip("@").rpartition("@")
        if not at or not user:
            raise ValueError("acct: resources look like acct:user@domain")
        return user if domain.lower() == fed.domain else None
    if resource.startswith(("https://", "http://")):
        parts = urlsplit(resource)
        if parts.netloc.lower() != fed.domain:
            return None
        path = parts.path.rstrip("/")
        if path == "/actor":
            return fed.domain
        for prefix in ("/users/", "/@"):
            if path.startswith(prefix) and "/" not in path[len(prefix) :]:
                return path[len(prefix) :]
        return None
    raise ValueError("resource must be an acct: or https URI")


def jrd_for(fed: Federation, account: Account) -> dict[str, object]:
    base = fed.base_url
    return {
        "subject": f"acct:{account.username}@{fed.domain}",
        "aliases": [account.url or f"{base}/@{account.username}", account.uri],
        "links": [
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": account.url or f"{base}/@{account.username}",
            },
            {"rel": "self", "type": ACTIVITY_JSON, "href": account.uri},
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": f"{base}/authorize_interaction?uri={{uri}}",
            },
        ],
    }


def _instance_jrd(fed: Federation) -> dict[str, object]:
    return {
        "subject": f"acct:{fed.domain}@{fed.domain}",
        "aliases": [fed.instance_actor_uri],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": fed.instance_actor_uri},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": f"{fed.base_url}/about",
            },
        ],
    }


async def webfinger(request: Request) -> Response:
    fed: Federation = request.app.state.federation
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return _error(400, "resource parameter is required")
    try:
        username = _username_for(fed, resource)
    except ValueError as exc:
        return _error(400, str(exc))
    if username is None:
        return _error(404, "not found")
    if username.lower() == fed.domain:
        return JSONResponse(_instance_jrd(fed), media_type=JRD, headers=CORS)
    async with fed.db.reader() as session:
        account = await find_local_account(session, username)
    if account is None:
        return _error(404, "not found")
    return JSONResponse(jrd_for(fed, account), media_type=JRD, headers=CORS)


async def host_meta(request: Request) -> Response:
    fed: Federation = request.app.state.federation
    template = escape(f"{fed.base_url}/.well-known/webfinger?resource={{uri}}", {'"': "&quot;"})
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return Response(body, media_type="application/xrd+xml; charset=utf-8", headers=CORS)


routes = [
    Route("/.well-known/webfinger", webfinger, methods=["GET", "HEAD"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET", "HEAD"]),
]
