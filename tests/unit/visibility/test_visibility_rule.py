"""The visibility rule: `may_see` (Python) and `visible_to` (SQL) agree, on real rows, with
the rule as documented in parley.domain.posts.visibility, for every combination of
visibility x the viewer's relationship to the author x echo or not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.db.ids import new_id
from parley.domain.accounts.models import Account
from parley.domain.posts.models import Mention, Post, Visibility
from parley.domain.posts.visibility import Facts, can_see, facts_for, may_see, visible_to
from parley.domain.relationships.models import Block, Follow, Mute
from parley.runtime import Runtime
from tests.conftest import Members
from tests.unit.posts.factories import block, echo, follow, member, mute, write

PUBLIC, UNLISTED, FOLLOWERS, MENTIONED = Visibility.ALL

# The documented rule, written out as a table: who sees a post of each visibility.
EXPECTED: dict[str, tuple[bool, bool, bool, bool]] = {
    #                      public unlisted followers mentioned
    "author self": (True, True, True, True),
    "follower": (True, True, True, False),
    "non-follower": (True, True, False, False),
    "mentioned": (True, True, True, True),
    "blocked by author": (False, False, False, False),  # even though following and mentioned
    "blocking author": (False, False, False, False),  # even though following and mentioned
    "anonymous": (True, True, False, False),
    "muted": (True, True, True, False),  # mutes hide nothing from someone who asks
    "suspended author": (False, False, False, False),  # even though following and mentioned
}


async def _sql_sees(session: AsyncSession, viewer_id: int | None, post_id: int) -> bool:
    found = await session.scalar(select(Post.id).where(Post.id == post_id, visible_to(viewer_id)))
    return found is not None


async def test_both_forms_of_the_rule_match_the_documented_table_on_real_rows(
    runtime: Runtime, members: Members
) -> None:
    author = await member(members, "author")
    banned = await member(members, "banned")
    viewers = {name: await member(members, name) for name in ("fol", "non", "men", "bb", "ba")}
    muter = await member(members, "muter")
    banned_fan = await member(members, "bannedfan")
    echoer = await member(members, "echoer")
    for who in ("fol", "bb", "ba"):
        await follow(runtime, viewers[who], author)
    await follow(runtime, muter, author)
    await follow(runtime, banned_fan, banned)
    await mute(runtime, muter, author)

    originals: dict[tuple[str, str], Post] = {}
    for visibility in Visibility.ALL:
        originals[("author", visibility)] = await write(
            runtime, author, "@men @bb @ba hello", visibility=visibility
        )
        originals[("banned", visibility)] = await write(
            runtime, banned, "@bannedfan hello", visibility=visibility
        )
    await block(runtime, author, viewers["bb"])
    await block(runtime, viewers["ba"], author)
    async with runtime.db.transaction() as session:
        banned_row = await session.get(Account, banned.id)
        assert banned_row is not None
        banned_row.suspended_at = utcnow()
        # Echo rows of every original by an unrelated account, written as rows: the service
        # refuses most of them, but federation may still bring such echoes in.
        echoes = {}
        for key, original in originals.items():
            row = Post(
                id=new_id(),
                account_id=echoer.id,
                uri=f"https://parley.test/echo/{original.id}",
                echo_of_id=original.id,
                visibility=PUBLIC,
            )
            session.add(row)
            echoes[key] = row

    relationships: dict[str, tuple[str, int | None]] = {
        "author self": ("author", author.id),
        "follower": ("author", viewers["fol"].id),
        "non-follower": ("author", viewers["non"].id),
        "mentioned": ("author", viewers["men"].id),
        "blocked by author": ("author", viewers["bb"].id),
        "blocking author": ("author", viewers["ba"].id),
        "anonymous": ("author", None),
        "muted": ("author", muter.id),
        "suspended author": ("banned", banned_fan.id),
    }
    disagreements = []
    async with runtime.db.reader() as session:
        for (relation, (who, viewer_id)), (column, visibility) in itertools.product(
            relationships.items(), enumerate(Visibility.ALL)
        ):
            expected = EXPECTED[relation][column]
            for kind, post in (
                ("post", originals[(who, visibility)]),
                ("echo", echoes[(who, visibility)]),
            ):
                python = await can_see(session, viewer_id, post)
                sql = await _sql_sees(session, viewer_id, post.id)
                if not python == sql == expected:
                    disagreements.append((relation, visibility, kind, expected, python, sql))
    assert disagreements == []


async def test_can_see_refuses_an_echo_whose_original_the_viewer_may_not_see(
    runtime: Runtime, members: Members
) -> None:
    author = await member(members, "author")
    echoer = await member(members, "echoer")
    stranger = await member(members, "stranger")
    await follow(runtime, echoer, author)
    original = await write(runtime, author, "followers only", visibility=FOLLOWERS)
    async with runtime.db.transaction() as session:
        row = Post(
            id=new_id(),
            account_id=echoer.id,
            uri="https://parley.test/echo/1",
            echo_of_id=original.id,
            visibility=PUBLIC,
        )
        session.add(row)
    async with runtime.db.reader() as session:
        assert may_see(await facts_for(session, stranger.id, row))  # the echo itself is public
        assert not await can_see(session, stranger.id, row)
        assert not await _sql_sees(session, stranger.id, row.id)
        assert await can_see(session, echoer.id, row)
        assert await _sql_sees(session, echoer.id, row.id)


async def test_an_echo_by_someone_the_viewer_blocks_is_hidden_though_the_original_is_not(
    runtime: Runtime, members: Members
) -> None:
    author = await member(members, "author")
    echoer = await member(members, "echoer")
    viewer = await member(members, "viewer")
    original = await write(runtime, author, "public")
    echoed = await echo(runtime, echoer, original.id)
    await block(runtime, viewer, echoer)
    async with runtime.db.reader() as session:
        assert await can_see(session, viewer.id, original)
        assert not await can_see(session, viewer.id, echoed)
        assert not await _sql_sees(session, viewer.id, echoed.id)


def documented_rule(facts: Facts) -> bool:
    """The docstring of parley.domain.posts.visibility, line by line."""
    if facts.author_suspended:
        return False
    if facts.viewer_id is not None and facts.viewer_id == facts.author_id:
        return True
    if facts.held:
        return False
    if facts.blocked_either_way:
        return False
    if facts.visibility in (PUBLIC, UNLISTED):
        return True
    if facts.viewer_id is None:
        return False
    if facts.visibility == FOLLOWERS:
        return facts.follows_author or facts.mentioned
    return facts.mentioned


@given(
    viewer=st.sampled_from([None, 1, 2]),
    visibility=st.sampled_from(Visibility.ALL),
    suspended=st.booleans(),
    follows=st.booleans(),
    mentioned=st.booleans(),
    blocked=st.booleans(),
    held=st.booleans(),
)
def test_may_see_follows_the_documented_rule_for_any_facts(
    viewer: int | None,
    visibility: str,
    suspended: bool,
    follows: bool,
    mentioned: bool,
    blocked: bool,
    held: bool,
) -> None:
    facts = Facts(
        viewer_id=viewer,
        author_id=1,
        visibility=visibility,
        author_suspended=suspended,
        follows_author=follows,
        mentioned=mentioned,
        blocked_either_way=blocked,
        held=held,
    )
    assert may_see(facts) == documented_rule(facts)


@dataclass(frozen=True)
class Scene:
    """One viewer, one author, one post (maybe echoed by a third account), as rows."""

    viewer: str  # "anonymous", "author" or "other"
    visibility: str
    author_suspended: bool
    follows: bool
    mentioned: bool
    author_blocks_viewer: bool
    viewer_blocks_author: bool
    viewer_mutes_author: bool
    echo_visibility: str | None  # None: not an echo
    viewer_blocks_echoer: bool
    held: bool = False  # held for review by an automated flag


scenes = st.builds(
    Scene,
    viewer=st.sampled_from(["anonymous", "author", "other"]),
    visibility=st.sampled_from(Visibility.ALL),
    author_suspended=st.booleans(),
    follows=st.booleans(),
    mentioned=st.booleans(),
    author_blocks_viewer=st.booleans(),
    viewer_blocks_author=st.booleans(),
    viewer_mutes_author=st.booleans(),
    echo_visibility=st.sampled_from([None, *Visibility.ALL]),
    viewer_blocks_echoer=st.booleans(),
    held=st.booleans(),
)


class Rows:
    """Writes scenes as rows, with fresh accounts each time (cheap: no keys, no passwords).

    Rows are collected and written by `write` in foreign-key order (accounts, posts, then
    the rest), so thousands of scenes take three flushes.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.pending: tuple[list[Any], list[Any], list[Any]] = ([], [], [])

    async def write(self) -> None:
        for batch in self.pending:
            self.session.add_all(batch)
            await self.session.flush()
            batch.clear()

    def account(self, **fields: Any) -> Account:
        account_id = new_id()
        row = Account(
            id=account_id,
            username=f"u{account_id}",
            username_lower=f"u{account_id}",
            uri=f"https://parley.test/users/u{account_id}",
            fields=[],
            also_known_as=[],
            **fields,
        )
        self.pending[0].append(row)
        return row

    def post(self, author: Account, visibility: str, **fields: Any) -> Post:
        post_id = new_id()
        row = Post(
            id=post_id,
            account_id=author.id,
            uri=f"https://parley.test/p/{post_id}",
            visibility=visibility,
            **fields,
        )
        self.pending[1].append(row)
        return row

    def scene(self, scene: Scene) -> tuple[int | None, Post, Facts]:
        """Add the scene's rows (ids are chosen here, so one flush can write many scenes)."""
        author = self.account(suspended_at=utcnow() if scene.author_suspended else None)
        other = self.account()
        echoer = self.account()
        viewer = {"anonymous": None, "author": author, "other": other}[scene.viewer]
        original = self.post(author, scene.visibility, held=scene.held)
        if viewer is not None and viewer is not author:
            for wanted, row in (
                (scene.follows, Follow(account_id=viewer.id, target_id=author.id)),
                (scene.mentioned, Mention(post_id=original.id, account_id=viewer.id)),
                (scene.author_blocks_viewer, Block(account_id=author.id, target_id=viewer.id)),
                (scene.viewer_blocks_author, Block(account_id=viewer.id, target_id=author.id)),
                (scene.viewer_mutes_author, Mute(account_id=viewer.id, target_id=author.id)),
                (scene.viewer_blocks_echoer, Block(account_id=viewer.id, target_id=echoer.id)),
            ):
                if wanted:
                    self.pending[2].append(row)
        shown = original
        if scene.echo_visibility is not None:
            shown = self.post(echoer, scene.echo_visibility, echo_of_id=original.id)
        facts = Facts(
            viewer_id=None if viewer is None else viewer.id,
            author_id=author.id,
            visibility=scene.visibility,
            author_suspended=scene.author_suspended,
            follows_author=viewer is other and scene.follows,
            mentioned=viewer is other and scene.mentioned,
            blocked_either_way=viewer is other
            and (scene.author_blocks_viewer or scene.viewer_blocks_author),
            held=scene.held,
        )
        return facts.viewer_id, shown, facts


def expected_for(scene: Scene, facts: Facts) -> bool:
    """The documented rule; an echo also needs the echo itself to be visible."""
    if not documented_rule(facts):
        return False
    if scene.echo_visibility is None:
        return True
    viewer_is_other = scene.viewer == "other"
    echo_facts = Facts(
        viewer_id=facts.viewer_id,
        author_id=-1,  # the echoer: nobody's relation but the viewer's optional block
        visibility=scene.echo_visibility,
        blocked_either_way=viewer_is_other and scene.viewer_blocks_echoer,
    )
    return documented_rule(echo_facts)


def every_scene() -> list[Scene]:
    """Every combination the rule can tell apart; mutes, which it must ignore, are sampled by
    the hypothesis test below. Relationships only exist for a viewer who is someone else."""
    echoes = [(None, False), (PUBLIC, False), (PUBLIC, True), (FOLLOWERS, False)]
    relations = list(itertools.product([False, True], [False, True], [0, 1, 2]))
    scenes = []
    for viewer, visibility, suspended, (echo_visibility, blocks_echoer), held in itertools.product(
        ["anonymous", "author", "other"], Visibility.ALL, [False, True], echoes, [False, True]
    ):
        for follows, mentioned, blocks in relations if viewer == "other" else [(False, False, 0)]:
            scenes.append(
                Scene(
                    viewer=viewer,
                    visibility=visibility,
                    author_suspended=suspended,
                    follows=follows,
                    mentioned=mentioned,
                    author_blocks_viewer=blocks == 1,
                    viewer_blocks_author=blocks == 2,
                    viewer_mutes_author=False,
                    echo_visibility=echo_visibility,
                    viewer_blocks_echoer=blocks_echoer and viewer == "other",
                    held=held,
                )
            )
    return scenes


async def test_python_and_sql_agree_with_the_rule_for_every_scene_that_matters(
    runtime: Runtime,
) -> None:
    every = every_scene()
    wrong = []
    async with runtime.db.transaction() as session:
        rows = Rows(session)
        written = [(scene, *rows.scene(scene)) for scene in every]
        await rows.write()
        for scene, viewer_id, post, facts in written:
            expected = expected_for(scene, facts)
            python = await can_see(session, viewer_id, post)
            sql = await _sql_sees(session, viewer_id, post.id)
            if not python == sql == expected:
                wrong.append((scene, expected, python, sql))
    assert len(every) == 2 * (2 * 4 * 2 * 4 + 4 * 2 * 4 * 2 * 2 * 3)
    assert wrong == []


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scene=scenes)
async def test_python_and_sql_agree_with_the_rule_for_any_scene(
    runtime: Runtime, scene: Scene
) -> None:
    async with runtime.db.transaction() as session:
        rows = Rows(session)
        viewer_id, post, facts = rows.scene(scene)
        await rows.write()
        expected = expected_for(scene, facts)
        assert await can_see(session, viewer_id, post) is expected
        assert await _sql_sees(session, viewer_id, post.id) is expected
        if scene.echo_visibility is None:
            assert await facts_for(session, viewer_id, post) == facts
