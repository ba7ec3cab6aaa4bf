"""ActivityPub endpoints: actors, posts, collections, inboxes, and the discovery documents.

Posts: public and unlisted posts are served to anyone. Followers-only and mentioned-only
posts are served only to a request signed by an account that may see them (a follower, or
someone mentioned), and are 404 to everyone else, anonymous or signed by an instance actor.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from parley.activitypub import activities, inbox, nodeinfo, webfinger
from parley.activitypub.federation import Federation
from parley.activitypub.signatures import SignatureError
from parley.activitypub.to_ap import (
    featured_url,
    followers_url,
    following_url,
    load_actor,
    load_note,
    render_instance_actor,
    with_context,
)
from parley.activitypub.verification import verify_request
from parley.activitypub.vocab import CONTENT_TYPE, accepts_as2
from parley.domain import identity
from parley.domain.accounts.models import Account
from parley.domain.accounts.queries import find_local_account
from parley.domain.federation.service import get_instance_key
from parley.domain.interactions.models import Pin
from parley.domain.posts.models import Post, Visibility
from parley.domain.posts.visibility import can_see, visible_to

PAGE_SIZE = 20


class AS2Response(JSONResponse):
    media_type = CONTENT_TYPE

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(content, status_code=status_code, headers={"Vary": "Accept"})


def _not_found() -> Response:
    return JSONResponse({"error": "not found"}, status_code=404)


def _fed(request: Request) -> Federation:
    fed: Federation = request.app.state.federation
    return fed


async def _account(request: Request) -> Account | None:
    async with _fed(request).db.reader() as session:
        return await find_local_account(session, request.path_params["username"])


async def actor(request: Request) -> Response:
    fed = _fed(request)
    username = request.path_params["username"]
    if not accepts_as2(request.headers.get("accept", "")):
        return RedirectResponse(identity.account_url(fed.base_url, username), status_code=302)
    async with fed.db.reader() as session:
        account = await find_local_account(session, username)
        if account is None:
            return _not_found()
        return AS2Response(await load_actor(session, account, base_url=fed.base_url))


async def instance_actor(request: Request) -> Response:
    fed = _fed(request)
    async with fed.db.transaction() as session:
        keys = await get_instance_key(session)
    doc = render_instance_actor(
        base_url=fed.base_url, domain=fed.domain, public_key_pem=keys.public_pem
    )
    return AS2Response(doc)


async def _viewer_may_see(request: Request, post: Post) -> bool:
    fed = _fed(request)
    async with fed.db.reader() as session:  # the domain's rule (public, and not held)
        if await can_see(session, None, post):
            return True
    if "signature" not in request.headers:
        return False
    try:
        async with fed.client() as http:
            signer = await verify_request(fed, http, request, None)
    except SignatureError:
        return False
    async with fed.db.reader() as session:
        return await can_see(session, signer.id, post)


async def status(request: Request) -> Response:
    """A local post as a Note; `/activity` gives its Create (or an echo's Announce)."""
    fed = _fed(request)
    username, post_id = request.path_params["username"], request.path_params["post_id"]
    wants_activity = request.url.path.endswith("/activity")
    if not accepts_as2(request.headers.get("accept", "")):
        return RedirectResponse(identity.post_url(fed.base_url, username, post_id), status_code=302)
    async with fed.db.reader() as session:
        post = await session.get(Post, post_id)
        author = None if post is None else await session.get(Account, post.account_id)
        if (
            post is None
            or author is None
            or not post.local
            or author.username_lower != username.lower()
            or author.suspended_at is not None
            or (post.echo_of_id is not None and not wants_activity)
        ):
            return _not_found()
        if post.echo_of_id is not None:
            original = await session.get(Post, post.echo_of_id)
            original_author = (
                None if original is None else await session.get(Account, original.account_id)
            )
            if (
                original is None
                or original_author is None
                or post.visibility == Visibility.FOLLOWERS
            ):
                return _not_found()
            return AS2Response(
                activities.announce(
                    echo=post,
                    actor=author,
                    original_uri=original.uri,
                    original_author=original_author.uri,
                )
            )
        note = await load_note(session, post, base_url=fed.base_url)
    if not await _viewer_may_see(request, post):
        return _not_found()
    return AS2Response(activities.create(note) if wants_activity else with_context(note))


async def _collection(uri: str, total: int, items: list[Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": uri, "type": "OrderedCollection", "totalItems": total}
    if items is not None:
        doc["orderedItems"] = items
    return with_context(doc)


async def followers(request: Request) -> Response:
    """Counts only: who follows whom is the members' business, as in Mastodon's hidden mode."""
    account = await _account(request)
    if account is None:
        return _not_found()
    return AS2Response(await _collection(followers_url(account), account.followers_count))


async def following(request: Request) -> Response:
    account = await _account(request)
    if account is None:
        return _not_found()
    return AS2Response(await _collection(following_url(account), account.following_count))


async def outbox(request: Request) -> Response:
    """Public and unlisted posts, newest first, as Create activities; pages by `max_id`."""
    fed = _fed(request)
    account = await _account(request)
    if account is None:
        return _not_found()
    uri = account.outbox_url or f"{account.uri}/outbox"
    async with fed.db.reader() as session:
        total = await session.scalar(
            select(func.count(Post.id)).where(
                Post.account_id == account.id, Post.echo_of_id.is_(None), visible_to(None)
            )
        )
        if request.query_params.get("page") != "true":
            doc = await _collection(uri, int(total or 0))
            doc["first"] = f"{uri}?page=true"
            return AS2Response(doc)
        query = select(Post).where(
            Post.account_id == account.id, Post.echo_of_id.is_(None), visible_to(None)
        )
        max_id = request.query_params.get("max_id", "")
        if max_id.isdigit():
            query = query.where(Post.id < int(max_id))
        rows = list(await session.scalars(query.order_by(Post.id.desc()).limit(PAGE_SIZE)))
        items = [
            activities.create(await load_note(session, p, base_url=fed.base_url)) for p in rows
        ]
    for item in items:
        del item["@context"]
    page: dict[str, Any] = {
        "id": f"{uri}?page=true" + (f"&max_id={max_id}" if max_id.isdigit() else ""),
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "orderedItems": items,
    }
    if len(rows) == PAGE_SIZE:
        page["next"] = f"{uri}?page=true&max_id={rows[-1].id}"
    return AS2Response(with_context(page))


async def featured(request: Request) -> Response:
    fed = _fed(request)
    account = await _account(request)
    if account is None:
        return _not_found()
    async with fed.db.reader() as session:
        pinned = await session.scalars(
            select(Post)
            .join(Pin, Pin.post_id == Post.id)
            .where(Pin.account_id == account.id, visible_to(None))
            .order_by(Pin.id.desc())
        )
        notes = [await load_note(session, post, base_url=fed.base_url) for post in pinned]
    return AS2Response(await _collection(featured_url(account), len(notes), notes))


async def empty_outbox(request: Request) -> Response:
    return AS2Response(await _collection(f"{_fed(request).instance_actor_uri}/outbox", 0, []))


def build_routes() -> list[BaseRoute]:
    """Mounted before the web UI, which owns everything else (`/@user` HTML included)."""
    get = ["GET", "HEAD"]
    return [
        *webfinger.routes,
        *nodeinfo.routes,
        Route("/actor", instance_actor, methods=get),
        Route("/actor/outbox", empty_outbox, methods=get),
        Route("/actor/inbox", inbox.receive, methods=["POST"]),
        Route("/inbox", inbox.receive, methods=["POST"]),
        Route("/users/{username}", actor, methods=get),
        Route("/users/{username}/inbox", inbox.receive, methods=["POST"]),
        Route("/users/{username}/outbox", outbox, methods=get),
        Route("/users/{username}/followers", followers, methods=get),
        Route("/users/{username}/following", following, methods=get),
        Route("/users/{username}/collections/featured", featured, methods=get),
        Route("/users/{username}/statuses/{post_id:int}", status, methods=get),
        Route("/users/{username}/statuses/{post_id:int}/activity", status, methods=get),
    ]
