"""The threat lexicon: phrases (or regular expressions) that threaten violence against a
target, each with a weight. A post's threat score is the sum of the weights of the entries it
matches, so two weak signals ("I know where you live" + "watch your back") add up.

Phrase syntax (case-insensitive, whole words, any whitespace between words):
- words are matched as written (`kill`, `i'll`);
- `{a|b c|d}` is one of several alternatives (each a short phrase itself);
- `<target>` is a person: you, him, her, them, an @mention, or "your/his/their <word>";
- `*` is any one word.
An entry may instead be a regular expression (Python syntax, case-insensitive), for what the
phrase syntax cannot say; it is checked for obvious catastrophic backtracking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.domain.errors import Invalid
from parley.domain.moderation.autoflag.models import LexiconEntry, LexiconState

MAX_PATTERN = 300
MAX_NOTE = 200
MAX_WEIGHT = 10.0
MAX_ENTRIES = 500

TARGET = (
    r"(?:you|u|ya|y'?all|him|her|them|"
    r"(?:your|his|her|their)\s+\w+|@[\w.-]+(?:@[\w.-]+)?)"
)
PLACEHOLDERS = {"<target>": TARGET, "*": r"\w+"}
_WORD = re.compile(r"[\w'-]+")
_COUNTED = re.compile(r"\{\d*(?:,\d*)?\}")  # {3}, {2,}, {,5}, {1,4}


def _risky_repetition(pattern: str) -> bool:
    """A repeated group holding a repetition or alternatives: (a+)+, ((a+))+, (a|aa)+,
    (.*a){12}. Python's engine backtracks through these exponentially on a near-match."""
    holds: list[bool] = []  # per open group: whether it holds a quantifier or '|'
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class or char == "[":
            in_class = char == "[" or char != "]"
        elif char == "(":
            holds.append(False)
            if pattern.startswith("(?", i):
                i += 1  # (?:, (?=, (?P<...>: the '?' is not a quantifier
        elif char == ")":
            risky = holds.pop() if holds else False
            rest = pattern[i + 1 :]
            repeated = rest[:1] in ("+", "*") or bool(_COUNTED.match(rest))
            if risky and repeated:
                return True
            if holds and (risky or repeated):
                holds[-1] = True
        elif holds and (char in "+*?|" or _COUNTED.match(pattern, i)):
            holds[-1] = True
        i += 1
    return False


_WILL = "{i will|i'll|ill|i am going to|i'm going to|im going to|i'm gonna|im gonna|gonna|we will|we'll|we're going to|we are going to}"  # noqa: E501

# (pattern, weight, note): shipped so a new instance holds the plainest threats from day one.
DEFAULTS: list[tuple[str, float, str]] = [
    (
        f"{_WILL} {{kill|murder|shoot|stab|strangle|behead|lynch|hang|rape|slaughter|execute}}"
        " <target>",
        1.0,
        "a first-person threat to kill or harm someone",
    ),
    (
        "{someone|somebody|anyone|people|y'all|you all} {should|needs to|need to|ought to|"
        "must|has to|have to|gotta} {kill|murder|shoot|stab|hang|lynch|behead|execute|"
        "assassinate} *",
        1.0,
        "a call on others to kill someone",
    ),
    (
        # Not `*` here: "we should kill this feature" is ordinary talk.
        "we {should|need to|ought to|must|have to|gotta} {kill|murder|shoot|stab|hang|lynch}"
        " <target>",
        1.0,
        "a call to kill someone",
    ),
    (
        "{<target>|he|she|they} {deserves|deserve|ought} to {die|be shot|be killed|be hanged|"
        "be hung|be lynched|be raped|be executed}",
        1.0,
        "wishing death or violence on someone",
    ),
    (
        "{put|putting|i'll put|i will put|gonna put} a bullet {in|through|between} <target>",
        1.0,
        "shooting threat",
    ),
    (
        f"{_WILL} {{beat|kick|stomp|bash}} <target> {{to death|senseless|unconscious}}",
        1.0,
        "beating threat",
    ),
    (
        f"{_WILL} {{break|snap|slit|cut}} your {{neck|legs|arms|jaw|skull|throat}}",
        1.0,
        "threat of bodily harm",
    ),
    (
        "{bomb|blow up|burn down|shoot up} {the|your|their|his|her|that} {school|office|house|"
        "home|church|mosque|synagogue|temple|building|rally|station|clinic|hospital|store|mall|"
        "party|event|concert}",
        1.0,
        "threat against a place",
    ),
    (f"{_WILL} {{find|hunt|track}} <target> {{down|and}}", 0.7, "hunting someone down"),
    ("{kill|hang|shoot} yourself", 0.8, "telling someone to kill themselves"),
    ("kys", 0.8, "'kill yourself'"),
    (
        "{you're|you are|youre|ur} {dead|a dead man|a dead woman|going to die|gonna die}",
        0.6,
        "'you are dead'",
    ),
    ("{i know|we know} where {you|u|ya|your family} {live|lives}", 0.6, "knowing where you live"),
    ("{watch|better watch} your back", 0.4, "veiled threat"),
]


@dataclass(frozen=True, slots=True)
class Entry:
    pattern: str
    weight: float
    is_regex: bool = False
    note: str = ""
    id: int | None = None  # None: a shipped default not yet copied into the table


@dataclass(frozen=True, slots=True)
class Match:
    pattern: str
    weight: float
    text: str  # what it matched in the post


def _split(phrase: str) -> list[str]:
    """Tokens of a phrase, keeping `{...}` groups whole."""
    tokens: list[str] = []
    current = ""
    depth = 0
    for char in phrase:
        if char == "{":
            if depth:
                raise Invalid("pattern", "Alternatives {a|b} cannot be nested")
            depth = 1
        elif char == "}":
            if not depth:
                raise Invalid("pattern", "A '}' has no matching '{'")
            depth = 0
        if char.isspace() and not depth:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if depth:
        raise Invalid("pattern", "A '{' has no matching '}'")
    if current:
        tokens.append(current)
    return tokens


def _token(token: str) -> tuple[str, bool]:
    """The regex for one token, and whether it is a literal word (not only placeholders)."""
    if token.startswith("{") and token.endswith("}") and token.count("{") == 1:
        options = token[1:-1].split("|")
        if any(not o.strip() for o in options):
            raise Invalid("pattern", f"Empty alternative in {token}")
        compiled = [_phrase(o.strip(), nested=True) for o in options]
        return "(?:" + "|".join(c for c, _ in compiled) + ")", all(w for _, w in compiled)
    if "{" in token or "}" in token:
        raise Invalid("pattern", f"Put a space around alternatives: {token}")
    if token in PLACEHOLDERS:
        return PLACEHOLDERS[token], False
    if token.startswith("<") and token.endswith(">"):
        raise Invalid("pattern", f"Unknown placeholder {token}; use <target> or *")
    if not _WORD.fullmatch(token):
        raise Invalid("pattern", f"'{token}' is not a word (letters, digits, ' and - only)")
    return re.escape(token).replace("'", "'?"), True


def _phrase(phrase: str, *, nested: bool = False) -> tuple[str, bool]:
    parts = [_token(t) for t in _split(phrase)]
    if not parts:
        raise Invalid("pattern", "Write a phrase")
    return r"\s+".join(p for p, _ in parts), any(literal for _, literal in parts)


def check_regex(pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise Invalid("pattern", f"Not a valid regular expression: {exc}") from exc
    if compiled.search("") is not None:
        raise Invalid("pattern", "This expression matches empty text, so it matches every post")
    if _risky_repetition(pattern):
        raise Invalid(
            "pattern",
            "Nested repetition like (a+)+ or (a|aa)+ can hang the server; simplify it",
        )
    return compiled


@lru_cache(maxsize=2048)
def compile_entry(pattern: str, is_regex: bool) -> re.Pattern[str]:
    """The entry as a compiled expression; Invalid (field `pattern`) when it is not valid."""
    pattern = pattern.strip()
    if not pattern:
        raise Invalid("pattern", "Write a phrase or an expression")
    if len(pattern) > MAX_PATTERN:
        raise Invalid("pattern", f"A pattern is at most {MAX_PATTERN} characters")
    if is_regex:
        return check_regex(pattern)
    body, has_word = _phrase(pattern)
    if not has_word:
        raise Invalid("pattern", "A phrase needs at least one word besides <target> and *")
    return re.compile(rf"(?<![\w@']){body}(?![\w'])", re.IGNORECASE)


def normalize(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def match_entries(entries: list[Entry], text: str) -> list[Match]:
    """The entries `text` matches (each once), with what they matched."""
    text = normalize(text)
    found: list[Match] = []
    for entry in entries:
        try:
            compiled = compile_entry(entry.pattern, entry.is_regex)
        except Invalid:
            continue  # written before a rule tightened: skipped, and shown as invalid to admins
        hit = compiled.search(text)
        if hit is not None:
            found.append(Match(entry.pattern, entry.weight, hit.group(0)[:200]))
    return found


def threat_score(matches: list[Match]) -> float:
    return round(sum(m.weight for m in matches), 4)


def default_entries() -> list[Entry]:
    return [Entry(pattern, weight, note=note) for pattern, weight, note in DEFAULTS]


async def is_customized(session: AsyncSession) -> bool:
    return await session.scalar(select(LexiconState.id).limit(1)) is not None


async def active_entries(session: AsyncSession) -> list[Entry]:
    """The lexicon in force: the table once an admin has edited it, else the defaults."""
    if not await is_customized(session):
        return default_entries()
    rows = await session.scalars(select(LexiconEntry).order_by(LexiconEntry.id))
    return [Entry(r.pattern, r.weight, r.is_regex, r.note, r.id) for r in rows]


async def materialize(session: AsyncSession) -> None:
    """Copy the defaults into the table before an admin's first edit (once, even if two
    admins race: the state row's primary key lets only one through)."""
    if await is_customized(session):
        return
    try:
        async with session.begin_nested():
            session.add(LexiconState(id=1))
            await session.flush()
    except IntegrityError:
        return
    session.add_all(
        LexiconEntry(pattern=e.pattern, weight=e.weight, note=e.note) for e in default_entries()
    )
    await session.flush()


def check_entry(pattern: str, weight: float | None, is_regex: bool, note: str) -> Entry:
    """Validate an admin's entry (Invalid names the field)."""
    pattern = pattern.strip()
    compile_entry(pattern, is_regex)
    if weight is None or not 0 < weight <= MAX_WEIGHT:
        raise Invalid("weight", f"The weight is a number above 0 and at most {MAX_WEIGHT:g}")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid("note", f"The note is at most {MAX_NOTE} characters")
    return Entry(pattern, float(weight), is_regex, note)
