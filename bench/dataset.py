"""Generate a bench instance: members, follows, posts, echoes, upvotes and filled home feeds.

    python -m bench.dataset --size S --database-url sqlite+aiosqlite:///bench/data/S.db

S: 1k members, 100k posts, ~50k follows. M: 10k members, 1M posts, ~1M follows.
Follower counts follow a Zipf law (a few members are followed by almost everyone), and so does
how much each member posts. Posts are spread over the past 90 days, with ids from
`parley.db.ids.new_id(at_ms=...)` at their creation time; 10% are comments on recent posts.
Home feeds hold each member's newest `--feed-depth` entries, chosen by the same rules as
fan-out on write (own posts, followed members' posts and echoes, comments only when the
member also follows the person replied to).

Rows go straight into the tables with SQLAlchemy Core executemany batches. Every member can
sign in with BENCH_PASSWORD (one argon2id hash, computed once, shared by all); bench members
have no RSA keys. The target database must be empty: the schema is created or upgraded here.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import heapq
import html
import itertools
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.db.engine import is_sqlite, make_engine
from parley.db.ids import new_id
from parley.db.migrate import MIGRATIONS, upgrade
from parley.domain.accounts.models import Account, User
from parley.domain.interactions.models import Upvote
from parley.domain.posts.models import Post
from parley.domain.relationships.models import Follow
from parley.domain.timelines.models import FeedEntry

BENCH_PASSWORD = "bench password, not a secret"  # noqa: S105  (bench data only)
DAY_MS = 86_400_000
BATCH = 5_000
_VOCABULARY = (
    "the of and to in is that for it as with was on be at by this had not are but from or "
    "have an they which one you were her all she there would their we him been has when who "
    "will more no if out so said what up its about into than them can only other new some "
    "could time these two may then do first any my now such like our over man me even most "
    "made after also did many before must through back years where much your way well down "
    "should because each just those people how too little state good very make world still "
    "own see men work long get here between both life being under never day same another "
    "know while last might us great old year off come since against go came right used take "
    "three parley echo upvote follow garden coffee music train city river book photo sunset "
    "weekend project release coffee bike rain snow election football recipe bread"
)
WORDS = _VOCABULARY.split()


# What the dataset was made from (bench tables are not part of Parley's schema).
DATASET = Table(
    "bench_dataset",
    MetaData(),
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)


@dataclass(frozen=True)
class Size:
    users: int
    posts: int
    follows: int
    echo_share: float = 0.05
    reply_share: float = 0.10
    upvotes_per_post: float = 1.0


SIZES = {
    "S": Size(users=1_000, posts=100_000, follows=50_000),
    "M": Size(users=10_000, posts=1_000_000, follows=1_000_000),
}


@dataclass
class World:
    """The generated instance, held as plain lists indexed by member or post number."""

    domain: str
    now_ms: int
    user_ids: list[int] = field(default_factory=list)
    user_ms: list[int] = field(default_factory=list)
    following: list[set[int]] = field(default_factory=list)
    # Posts (originals, comments and echoes), in time order.
    post_ids: list[int] = field(default_factory=list)
    post_ms: list[int] = field(default_factory=list)
    post_author: list[int] = field(default_factory=list)
    reply_to: list[int] = field(default_factory=list)  # post number or -1
    echo_of: list[int] = field(default_factory=list)  # post number or -1
    thread: list[int] = field(default_factory=list)  # post number of the thread's root
    replies: list[int] = field(default_factory=list)
    echoes: list[int] = field(default_factory=list)
    upvotes: list[int] = field(default_factory=list)
    upvote_pairs: list[tuple[int, int, int]] = field(default_factory=list)  # (ms, user, post)

    @property
    def base_url(self) -> str:
        scheme = "http" if self.domain.split(":")[0] in {"127.0.0.1", "localhost"} else "https"
        return f"{scheme}://{self.domain}"


def fresh_id(ms: int, used: set[int]) -> int:
    while True:
        value = new_id(at_ms=ms)
        if value not in used:
            used.add(value)
            return value


def _zipf_weights(n: int, exponent: float, rng: random.Random) -> list[float]:
    """Zipf weights 1/rank^s, ranks shuffled so popularity is unrelated to sign-up order."""
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1.0 / rank**exponent for rank in ranks]


def _make_users(world: World, size: Size, rng: random.Random, used: set[int]) -> None:
    # Members signed up between a year and 90 days ago, in id order.
    start, end = world.now_ms - 365 * DAY_MS, world.now_ms - 91 * DAY_MS
    for ms in sorted(rng.randrange(start, end) for _ in range(size.users)):
        world.user_ms.append(ms)
        world.user_ids.append(fresh_id(ms, used))


def _make_follows(world: World, size: Size, rng: random.Random) -> None:
    """Each member follows about follows/users others, picked with Zipf weights."""
    n = size.users
    weights = _zipf_weights(n, 1.0, rng)
    cumulative = list(itertools.accumulate(weights))
    population = range(n)
    average = size.follows / n
    for member in range(n):
        want = min(n - 1, max(1, round(rng.expovariate(1 / average))))
        chosen: set[int] = set()
        tries = 0
        while len(chosen) < want and tries < 20:
            tries += 1
            picks = rng.choices(population, cum_weights=cumulative, k=want - len(chosen))
            chosen.update(p for p in picks if p != member)
        world.following.append(chosen)


def _words(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(4, 40)))


def _make_posts(world: World, size: Size, rng: random.Random, used: set[int]) -> None:
    """Originals and comments over the past 90 days, then echoes of them."""
    n = size.users
    activity = list(itertools.accumulate(_zipf_weights(n, 0.8, rng)))
    echo_count = round(size.posts * size.echo_share)
    originals = size.posts - echo_count
    start = world.now_ms - 90 * DAY_MS
    times = sorted(rng.randrange(start, world.now_ms) for _ in range(originals))
    authors = rng.choices(range(n), cum_weights=activity, k=originals)
    for number, (ms, author) in enumerate(zip(times, authors, strict=True)):
        parent = -1
        if number > 0 and rng.random() < size.reply_share:
            parent = number - rng.randint(1, min(number, 1_000))
        world.post_ids.append(fresh_id(ms, used))
        world.post_ms.append(ms)
        world.post_author.append(author)
        world.reply_to.append(parent)
        world.echo_of.append(-1)
        world.thread.append(number if parent < 0 else world.thread[parent])

    # Echoes: a member echoes a post of someone they follow, soon after it was written.
    by_author: list[list[int]] = [[] for _ in range(n)]
    for number in range(originals):
        by_author[world.post_author[number]].append(number)
    following = [sorted(f for f in follows if by_author[f]) for follows in world.following]
    echoed: set[tuple[int, int]] = set()
    made = 0
    while made < echo_count:
        member = rng.randrange(n)
        if not following[member]:
            continue
        original = rng.choice(by_author[rng.choice(following[member])])
        if (member, original) in echoed:
            continue
        echoed.add((member, original))
        ms = min(world.now_ms - 1, world.post_ms[original] + int(rng.expovariate(1 / 3.6e6)))
        world.post_ids.append(fresh_id(ms, used))
        world.post_ms.append(ms)
        world.post_author.append(member)
        world.reply_to.append(-1)
        world.echo_of.append(original)
        world.thread.append(-1)
        made += 1
    _sort_posts_by_time(world)


def _sort_posts_by_time(world: World) -> None:
    order = sorted(range(len(world.post_ids)), key=world.post_ids.__getitem__)
    where = {old: new for new, old in enumerate(order)}

    def move(values: list[int], *, refs: bool = False) -> list[int]:
        moved = [values[old] for old in order]
        return [where[v] if v >= 0 else -1 for v in moved] if refs else moved

    world.post_ids = move(world.post_ids)
    world.post_ms = move(world.post_ms)
    world.post_author = move(world.post_author)
    world.reply_to = move(world.reply_to, refs=True)
    world.echo_of = move(world.echo_of, refs=True)
    world.thread = move(world.thread, refs=True)


def _make_upvotes(world: World, size: Size, rng: random.Random) -> None:
    count = len(world.post_ids)
    world.replies = [0] * count
    world.echoes = [0] * count
    world.upvotes = [0] * count
    for number in range(count):
        if world.reply_to[number] >= 0:
            world.replies[world.reply_to[number]] += 1
        if world.echo_of[number] >= 0:
            world.echoes[world.echo_of[number]] += 1
    originals = [p for p in range(count) if world.echo_of[p] < 0]
    wanted = round(size.posts * size.upvotes_per_post)
    seen: set[tuple[int, int]] = set()
    while len(world.upvote_pairs) < wanted:
        post = rng.choice(originals)
        member = rng.randrange(size.users)
        if (member, post) in seen or world.post_author[post] == member:
            continue
        seen.add((member, post))
        ms = min(world.now_ms - 1, world.post_ms[post] + int(rng.expovariate(1 / 7.2e6)))
        world.upvote_pairs.append((ms, member, post))
        world.upvotes[post] += 1


def _feed(world: World, member: int, by_author: list[list[int]], depth: int) -> Iterator[int]:
    """The member's newest `depth` home entries (post numbers), as fan-out would have put them:
    own posts; followed members' posts and echoes; their comments only on the member's own
    posts, on their own, or on someone the member also follows."""
    follows = world.following[member]
    sources = [by_author[member], *(by_author[f] for f in follows)]
    newest_first = heapq.merge(*sources, key=lambda p: -p)
    taken = 0
    for post in newest_first:
        author = world.post_author[post]
        parent = world.reply_to[post]
        if author != member and parent >= 0:
            replied_to = world.post_author[parent]
            if replied_to not in (author, member) and replied_to not in follows:
                continue
        yield post
        taken += 1
        if taken >= depth:
            return


def batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def account_row(
    base_url: str,
    account_id: int,
    username: str,
    created_ms: int,
    *,
    followers: int = 0,
    following: int = 0,
    posts: int = 0,
    last_post_ms: int | None = None,
) -> dict[str, Any]:
    """A local bench member's accounts row: minimal fields, no RSA keys."""
    uri = f"{base_url}/users/{username}"
    created = _at(created_ms)
    return {
        "id": account_id,
        "username": username,
        "username_lower": username.lower(),
        "domain": None,
        "display_name": f"Bench member {username}",
        "note": "",
        "note_html": "",
        "fields": [],
        "locked": False,
        "discoverable": True,
        "bot": False,
        "uri": uri,
        "url": f"{base_url}/@{username}",
        "inbox_url": f"{uri}/inbox",
        "shared_inbox_url": f"{base_url}/inbox",
        "outbox_url": f"{uri}/outbox",
        "followers_url": f"{uri}/followers",
        "also_known_as": [],
        "followers_count": followers,
        "following_count": following,
        "posts_count": posts,
        "last_post_at": None if last_post_ms is None else _at(last_post_ms),
        "created_at": created,
        "updated_at": created,
    }


def user_row(
    user_id: int, account_id: int, username: str, created_ms: int, password_hash: str
) -> dict[str, Any]:
    created = _at(created_ms)
    return {
        "id": user_id,
        "account_id": account_id,
        "email": f"{username.lower()}@bench.invalid",
        "password_hash": password_hash,
        "role": "member",
        "rules_accepted_at": created,
        "created_at": created,
    }


def _account_rows(world: World) -> Iterator[dict[str, Any]]:
    followers = [0] * len(world.user_ids)
    for follows in world.following:
        for target in follows:
            followers[target] += 1
    posts_count = [0] * len(world.user_ids)
    last_post: list[int | None] = [None] * len(world.user_ids)
    for number, author in enumerate(world.post_author):
        posts_count[author] += 1
        last_post[author] = world.post_ms[number]  # posts are in time order
    for member, account_id in enumerate(world.user_ids):
        yield account_row(
            world.base_url,
            account_id,
            f"u{member}",
            world.user_ms[member],
            followers=followers[member],
            following=len(world.following[member]),
            posts=posts_count[member],
            last_post_ms=last_post[member],
        )


def _user_rows(world: World, password_hash: str, used: set[int]) -> Iterator[dict[str, Any]]:
    for member, account_id in enumerate(world.user_ids):
        ms = world.user_ms[member]
        yield user_row(fresh_id(ms, used), account_id, f"u{member}", ms, password_hash)


def _follow_rows(world: World, used: set[int]) -> Iterator[dict[str, Any]]:
    for member, follows in enumerate(world.following):
        for target in sorted(follows):
            ms = max(world.user_ms[member], world.user_ms[target]) + 1
            yield {
                "id": fresh_id(ms, used),
                "account_id": world.user_ids[member],
                "target_id": world.user_ids[target],
                "show_echoes": True,
                "notify": False,
                "created_at": _at(ms),
            }


def _post_rows(world: World, rng: random.Random) -> Iterator[dict[str, Any]]:
    for number, post_id in enumerate(world.post_ids):
        author = world.post_author[number]
        name = f"u{author}"
        parent = world.reply_to[number]
        echo = world.echo_of[number]
        body = "" if echo >= 0 else _words(rng)
        yield {
            "id": post_id,
            "account_id": world.user_ids[author],
            "local": True,
            "uri": f"{world.base_url}/users/{name}/statuses/{post_id}",
            "url": f"{world.base_url}/@{name}/{post_id}",
            "text": body,
            "content_html": f"<p>{html.escape(body)}</p>" if body else "",
            "spoiler_text": "",
            "sensitive": False,
            "visibility": "public",
            "language": "en",
            "in_reply_to_id": world.post_ids[parent] if parent >= 0 else None,
            "in_reply_to_account_id": (
                world.user_ids[world.post_author[parent]] if parent >= 0 else None
            ),
            "thread_id": world.post_ids[world.thread[number]] if echo < 0 else None,
            "echo_of_id": world.post_ids[echo] if echo >= 0 else None,
            "replies_count": world.replies[number],
            "echoes_count": world.echoes[number],
            "upvotes_count": world.upvotes[number],
            "quotes_count": 0,
            "has_media": False,
            "has_poll": False,
            "created_at": _at(world.post_ms[number]),
        }


def _upvote_rows(world: World, used: set[int]) -> Iterator[dict[str, Any]]:
    for ms, member, post in world.upvote_pairs:
        yield {
            "id": fresh_id(ms, used),
            "account_id": world.user_ids[member],
            "post_id": world.post_ids[post],
            "created_at": _at(ms),
        }


def _feed_rows(world: World, depth: int) -> Iterator[dict[str, Any]]:
    by_author: list[list[int]] = [[] for _ in world.user_ids]
    for number in range(len(world.post_ids) - 1, -1, -1):  # newest first
        by_author[world.post_author[number]].append(number)
    for member, account_id in enumerate(world.user_ids):
        for post in _feed(world, member, by_author, depth):
            yield {
                "account_id": account_id,
                "post_id": world.post_ids[post],
                "author_id": world.user_ids[world.post_author[post]],
            }


async def _insert(
    connection: AsyncConnection, table: Table, rows: Iterable[dict[str, Any]], label: str
) -> int:
    started = time.perf_counter()
    count = 0
    for batch in batches(rows):
        await connection.execute(insert(table), batch)
        count += len(batch)
    elapsed = time.perf_counter() - started
    print(f"  {label:<13} {count:>10,} rows in {elapsed:6.1f} s ({count / elapsed:,.0f}/s)")
    return count


def migrations_fingerprint() -> str:
    """SHA-256 over the migration scripts: until the first release the initial migration is
    regenerated in place, so a dataset made before a schema change is not upgraded."""
    digest = hashlib.sha256()
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(script.name.encode() + b"\0" + script.read_bytes())
    return digest.hexdigest()


def _stored_fingerprint(connection: Connection) -> str | None:
    if not inspect(connection).has_table(DATASET.name):
        return None
    query = select(DATASET.c.value).where(DATASET.c.key == "migrations")
    value: str | None = connection.execute(query).scalar()
    return value


async def check_schema(url: str) -> None:
    """Refuse a dataset made with other migration scripts than the ones in this tree."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            stored = await connection.run_sync(_stored_fingerprint)
    finally:
        await engine.dispose()
    if stored != migrations_fingerprint():
        raise SystemExit(
            "the dataset was made with other migrations than this tree's (or not by "
            "bench.dataset): generate it again with python -m bench.dataset"
        )


async def _check_empty(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        existing = await connection.scalar(select(func.count()).select_from(Account))
    if existing:
        raise SystemExit(f"the database already holds {existing} accounts: use an empty one")


def generate(size: Size, *, seed: int, domain: str) -> World:
    rng = random.Random(seed)
    world = World(domain=domain, now_ms=time.time_ns() // 1_000_000)
    used: set[int] = set()
    _make_users(world, size, rng, used)
    _make_follows(world, size, rng)
    _make_posts(world, size, rng, used)
    _make_upvotes(world, size, rng)
    return world


async def load(
    url: str, size: Size, *, seed: int = 1, domain: str = "127.0.0.1:8000", feed_depth: int = 100
) -> dict[str, int]:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        await _check_empty(engine)
        started = time.perf_counter()
        world = generate(size, seed=seed, domain=domain)
        print(f"generated in {time.perf_counter() - started:.1f} s; inserting:")
        password_hash = PasswordHasher().hash(BENCH_PASSWORD)
        rng = random.Random(seed + 1)
        used = set(world.post_ids) | set(world.user_ids)
        counts: dict[str, int] = {}
        async with engine.begin() as connection:
            if is_sqlite(url):
                await connection.execute(text("PRAGMA synchronous=OFF"))
            # Parents before children, so foreign keys hold at every row.
            tables = (
                (Account, _account_rows(world)),
                (User, _user_rows(world, password_hash, used)),
                (Follow, _follow_rows(world, used)),
                (Post, _post_rows(world, rng)),
                (Upvote, _upvote_rows(world, used)),
                (FeedEntry, _feed_rows(world, feed_depth)),
            )
            for model, rows in tables:
                table = model.__table__
                counts[table.name] = await _insert(connection, table, rows, table.name)
            await connection.run_sync(DATASET.create)
            await connection.execute(
                insert(DATASET),
                [
                    {"key": "migrations", "value": migrations_fingerprint()},
                    {"key": "size", "value": repr(size)},
                    {"key": "seed", "value": str(seed)},
                    {"key": "made_at", "value": datetime.now(UTC).isoformat()},
                ],
            )
        if not is_sqlite(url):
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("ANALYZE"))
        else:
            async with engine.begin() as connection:
                await connection.execute(text("ANALYZE"))
        print(f"done in {time.perf_counter() - started:.1f} s")
        return counts
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--domain", default="127.0.0.1:8000", help="the bench instance's domain")
    parser.add_argument("--feed-depth", type=int, default=100, help="home entries per member")
    args = parser.parse_args(argv)
    counts = asyncio.run(
        load(
            args.database_url,
            SIZES[args.size],
            seed=args.seed,
            domain=args.domain,
            feed_depth=args.feed_depth,
        )
    )
    print(", ".join(f"{name}: {count:,}" for name, count in counts.items()))


if __name__ == "__main__":
    main()
