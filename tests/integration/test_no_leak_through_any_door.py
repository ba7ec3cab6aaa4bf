"""No post reaches anyone who may not see it, through any door.

Hypothesis draws a scene (the post's visibility, the viewer's relationship to the author, and
whether the post is a comment in a public thread). The post's text carries a unique marker
word; every page, timeline, thread, notification list and API or ActivityPub document the
viewer can ask for must leave the marker out whenever the rule (parley.domain.posts.visibility)
says the viewer may not see the post, and the post's own page must show it when they may.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from parley.domain.accounts import service as accounts
from parley.domain.accounts.models import Account, User
from parley.domain.notifications.queries import unread_count
from parley.domain.oauth import service as oauth
from parley.domain.posts import service as posts
from parley.domain.posts.models import Post, Visibility
from parley.domain.posts.visibility import can_see
from parley.domain.relationships import service as relationships
from parley.runtime import Runtime
from parley.web.viewer import SESSION_COOKIE
from tests.conftest import Members

RELATIONSHIPS = (
    "anonymous",
    "stranger",
    "follower",
    "mentioned",
    "blocked_by_author",
    "blocking_author",
    "muting_follower",
)
AS2 = "application/activity+json"
_names = itertools.count()


@dataclass(frozen=True)
class Scene:
    visibility: str
    relationship: str
    as_comment: bool


scenes = st.builds(
    Scene,
    visibility=st.sampled_from(Visibility.ALL),
    relationship=st.sampled_from(RELATIONSHIPS),
    as_comment=st.booleans(),
)


async def _account(runtime: Runtime, user: User) -> Account:
    async with runtime.db.reader() as session:
        account = await session.get(Account, user.account_id)
    assert account is not None
    return account


@dataclass
class Setup:
    doors: dict[str, str]
    marker: str
    post_id: int
    viewer: User | None


async def _set_up(runtime: Runtime, members: Members, scene: Scene) -> Setup:
    """Create the author, the viewer and the post, and list the doors to check."""
    n = next(_names)
    author = await _account(runtime, await members.create(f"author{n}"))
    viewer_user: User | None = None
    viewer: Account | None = None
    if scene.relationship != "anonymous":
        viewer_user = await members.create(f"viewer{n}")
        viewer = await _account(runtime, viewer_user)
    marker = f"marker{secrets.token_hex(6)}"
    tag = f"leak{n}"
    async with runtime.db.transaction() as session:
        author = await session.get(Account, author.id) or author
        if viewer is not None:
            viewer = await session.get(Account, viewer.id)
            assert viewer is not None
            if scene.relationship in ("follower", "muting_follower"):
                await relationships.follow_account(session, follower=viewer, target=author)
            if scene.relationship == "muting_follower":
                await relationships.mute_account(session, actor=viewer, target=author)
            if scene.relationship == "blocked_by_author":
                await relationships.block_account(session, actor=author, target=viewer)
            if scene.relationship == "blocking_author":
                await relationships.block_account(session, actor=viewer, target=author)
        parent_id = None
        if scene.as_comment:
            root = await posts.create_post(
                session, runtime.ctx, author=author, text="a public thread", visibility="public"
            )
            parent_id = root.id
        mention = f" @{viewer.username}" if viewer and scene.relationship == "mentioned" else ""
        post = await posts.create_post(
            session,
            runtime.ctx,
            author=author,
            text=f"{marker} #{tag}{mention}",
            visibility=scene.visibility,
            in_reply_to_id=parent_id,
        )
        thread_root = parent_id or post.id
    doors = {
        "profile page": f"/@{author.username}",
        "profile with comments": f"/@{author.username}/with_replies",
        "post page": f"/@{author.username}/{post.id}",
        "thread page": f"/@{author.username}/{thread_root}",
        "tag page": f"/tags/{tag}",
        "local page": "/local",
        "api status": f"/api/v1/statuses/{post.id}",
        "api context": f"/api/v1/statuses/{thread_root}/context",
        "api account statuses": f"/api/v1/accounts/{author.id}/statuses",
        "api local timeline": "/api/v1/timelines/public?local=true",
        "api tag timeline": f"/api/v1/timelines/tag/{tag}",
        "ap note": f"/users/{author.username}/statuses/{post.id}",
        "ap outbox": f"/users/{author.username}/outbox?page=true",
    }
    if viewer is not None:
        doors |= {
            "home page": "/home",
            "notifications page": "/notifications",
            "api home": "/api/v1/timelines/home",
            "api notifications": "/api/v1/notifications",
        }
    return Setup(doors=doors, marker=marker, post_id=post.id, viewer=viewer_user)


async def _viewer_credentials(runtime: Runtime, viewer: User) -> tuple[str, str]:
    """A web session cookie and an API token for the viewer."""
    async with runtime.db.transaction() as session:
        member = await session.get(User, viewer.id)
        assert member is not None
        cookie = await accounts.start_web_session(session, runtime.ctx, user=member)
        app, _ = await oauth.register_application(
            session, name="doors", redirect_uris=[oauth.OOB], scopes="read"
        )
        token = await oauth.issue_token(
            session, application=app, account_id=member.account_id, scopes=["read"]
        )
    return cookie, token.secret


ALL_SCENES = [
    Scene(visibility, relationship, as_comment)
    for visibility in Visibility.ALL
    for relationship in RELATIONSHIPS
    for as_comment in (False, True)
]


def every_scene(test):  # type: ignore[no-untyped-def]
    """Run every combination explicitly, besides what hypothesis draws."""
    for scene in ALL_SCENES:
        test = example(scene=scene)(test)
    return test


@pytest.mark.slow
@settings(
    max_examples=len(ALL_SCENES) + 8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scene=scenes)
@every_scene
async def test_a_post_reaches_nobody_who_may_not_see_it_through_any_door(
    scene: Scene, runtime: Runtime, members: Members, client: httpx.AsyncClient
) -> None:
    setup = await _set_up(runtime, members, scene)
    doors, marker = setup.doors, setup.marker
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    viewer_id = setup.viewer.account_id if setup.viewer else None
    if setup.viewer is not None:
        cookie, token = await _viewer_credentials(runtime, setup.viewer)
        cookies = {SESSION_COOKIE: cookie}
        headers = {"Authorization": f"Bearer {token}"}
    async with runtime.db.reader() as session:
        post = await session.get(Post, setup.post_id)
        assert post is not None
        allowed = await can_see(session, viewer_id, post)
        # An unsigned ActivityPub fetch is an anonymous viewer.
        allowed_anonymously = await can_see(session, None, post)
        unread = await unread_count(session, viewer_id) if viewer_id else 0

    for door, path in doors.items():
        request_headers = dict(headers)
        if door.startswith("ap "):
            request_headers = {"Accept": AS2}  # servers fetch unsigned here
        client.cookies.clear()
        for name, value in cookies.items():
            if not door.startswith(("api ", "ap ")):
                client.cookies.set(name, value)
        response = await client.get(path, headers=request_headers, follow_redirects=True)
        assert response.status_code < 500, (door, response.status_code)
        leaked = marker in response.text
        visible_to_door = allowed_anonymously if door.startswith("ap ") else allowed
        if not visible_to_door:
            assert not leaked, f"{scene}: the post leaked through {door} ({path})"
    client.cookies.clear()

    if not allowed:
        assert unread == 0, f"{scene}: a notification about an unseeable post is counted"
    # The post's own page shows it exactly when the rule allows.
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    page = await client.get(doors["post page"])
    assert (marker in page.text) == allowed, (scene, page.status_code)
    client.cookies.clear()
