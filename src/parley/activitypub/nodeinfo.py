"""NodeInfo 2.0 / 2.1: what software this is and how many use it (crawlers, stats sites)."""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import func, or_, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parley.activitypub.federation import Federation
from parley.db.base import utcnow
from parley.domain.accounts.models import Account, User
from parley.domain.instance.service import RegistrationMode, get_instance_info
from parley.domain.posts.models import Post

SCHEMAS = {
    "2.0": "http://nodeinfo.diaspora.software/ns/schema/2.0",
    "2.1": "http://nodeinfo.diaspora.software/ns/schema/2.1",
}
CORS = {"Access-Control-Allow-Origin": "*"}


def _version() -> str:
    try:
        return version("parley")
    except PackageNotFoundError:
        return "0.0.0"


async def well_known(request: Request) -> Response:
    fed: Federation = request.app.state.federation
    links = [
        {"rel": schema, "href": f"{fed.base_url}/nodeinfo/{v}"} for v, schema in SCHEMAS.items()
    ]
    return JSONResponse({"links": links}, headers=CORS)


async def _active_since(fed: Federation, days: int) -> int:
    since = utcnow() - timedelta(days=days)
    async with fed.db.reader() as session:
        count = await session.scalar(
            select(func.count(Account.id))
            .join(User, User.account_id == Account.id)
            .where(
                Account.domain.is_(None),
                Account.suspended_at.is_(None),
                or_(User.last_sign_in_at >= since, Account.last_post_at >= since),
            )
        )
    return int(count or 0)


async def nodeinfo(request: Request) -> Response:
    fed: Federation = request.app.state.federation
    schema = request.path_params["version"]
    if schema not in SCHEMAS:
        return JSONResponse({"error": "not found"}, status_code=404)
    async with fed.db.reader() as session:
        users = await session.scalar(
            select(func.count(Account.id))
            .join(User, User.account_id == Account.id)
            .where(Account.domain.is_(None), Account.suspended_at.is_(None))
        )
        posts = await session.scalar(
            select(func.count(Post.id)).where(Post.local.is_(True), Post.echo_of_id.is_(None))
        )
        info = await get_instance_info(session)
    software = {"name": "parley", "version": _version()}
    body = {
        "version": schema,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {
                "total": int(users or 0),
                "activeMonth": await _active_since(fed, 30),
                "activeHalfyear": await _active_since(fed, 180),
            },
            "localPosts": int(posts or 0),
        },
        "openRegistrations": info.registration_mode
        in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
        "metadata": {},
    }
    media = f'application/json; profile="{SCHEMAS[schema]}#"'
    return JSONResponse(body, media_type=media, headers=CORS)


routes = [
    Route("/.well-known/nodeinfo", well_known, methods=["GET", "HEAD"]),
    Route("/nodeinfo/{version}", nodeinfo, methods=["GET", "HEAD"]),
]
