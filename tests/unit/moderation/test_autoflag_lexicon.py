"""The threat lexicon: what the shipped phrases catch and leave alone, and which patterns an
admin cannot save."""

from __future__ import annotations

import pytest

from parley.domain.errors import Invalid
from parley.domain.moderation.autoflag import lexicon
from parley.domain.moderation.autoflag.spam import count_links

DEFAULTS = lexicon.default_entries()


def score(text: str) -> float:
    return lexicon.threat_score(lexicon.match_entries(DEFAULTS, text))


@pytest.mark.parametrize(
    "text",
    [
        "I will kill you",
        "i'll KILL you tomorrow, just wait",
        "I\u2019m going to shoot @bob",
        "I will murder @carol@mastodon.example",
        "Someone should shoot the mayor",
        "you deserve to die",
        "He deserves to be shot",
        "I know where you live. Watch your back.",  # two weak signals add up
        "gonna put a bullet in your head",
        "we should hang them",
        "I'm gonna shoot up the school",
    ],
)
def test_threats_of_violence_reach_the_default_threshold(text: str) -> None:
    assert score(text) >= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "I'm gonna kill it on stage tonight",
        "what a killer app",
        "we should kill this feature before the release",
        "the bill was killed in committee",
        "I will skill you up in chess",
        "Watch your back when cycling in traffic",  # one weak signal alone
        "hello world",
    ],
)
def test_ordinary_speech_stays_below_the_threshold(text: str) -> None:
    assert score(text) < 1.0


def test_a_phrase_matches_whole_words_in_any_case_and_spacing() -> None:
    entries = [lexicon.Entry("burn <target> alive", 1.0)]
    assert lexicon.match_entries(entries, "We will BURN   them\nalive")[0].text.startswith("BURN")
    assert lexicon.match_entries(entries, "sunburn them alive") == []
    assert lexicon.match_entries(entries, "burn them alives") == []


@pytest.mark.parametrize(
    ("pattern", "is_regex", "message"),
    [
        ("", False, "Write a phrase"),
        ("   ", True, "Write a phrase"),
        ("x" * 301, False, "at most 300"),
        ("{kill|shoot <target>", False, "no matching '}'"),
        ("kill} you", False, "no matching '{'"),
        ("{a|{b|c}}", False, "cannot be nested"),
        ("{kill||shoot} you", False, "Empty alternative"),
        ("<victim> must die", False, "Unknown placeholder"),
        ("* <target>", False, "at least one word"),
        ("kill you!!!", False, "is not a word"),
        ("[unclosed", True, "Not a valid regular expression"),
        ("a*", True, "matches empty text"),
        ("(a+)+$", True, "Nested repetition"),
        ("((a+))+$", True, "Nested repetition"),
        ("(a|aa)+$", True, "Nested repetition"),
        ("(?:x|y)*z", True, "Nested repetition"),
        ("(.*a){12}", True, "Nested repetition"),
        ("(a?){2,}b", True, "Nested repetition"),
    ],
)
def test_bad_patterns_are_refused_with_a_reason(pattern: str, is_regex: bool, message: str) -> None:
    with pytest.raises(Invalid, match=message) as refused:
        lexicon.check_entry(pattern, 1.0, is_regex, "")
    assert refused.value.field == "pattern"


@pytest.mark.parametrize("weight", [None, 0.0, -1.0, 10.5])
def test_weights_outside_the_range_are_refused(weight: float | None) -> None:
    with pytest.raises(Invalid) as refused:
        lexicon.check_entry("kill you", weight, False, "")
    assert refused.value.field == "weight"


@pytest.mark.parametrize(
    "pattern", [r"\bkill(s|ed)? you\b", r"(kill|shoot) (him|her)", r"[(+*]x", r"\(a+\)+", r"a+b*"]
)
def test_plain_expressions_are_accepted(pattern: str) -> None:
    lexicon.check_entry(pattern, 1.0, True, "")


def test_every_shipped_entry_is_a_valid_pattern() -> None:
    for entry in DEFAULTS:
        lexicon.check_entry(entry.pattern, entry.weight, entry.is_regex, entry.note)


def test_links_are_counted_but_mentions_and_hashtags_are_not() -> None:
    html = (
        '<p><span class="h-card"><a href="https://a.example/@x" class="u-url mention">@x</a>'
        '</span> <a href="https://a.example/tags/y" class="mention hashtag">#y</a> '
        '<a href="https://shop.example/deal" rel="nofollow">shop.example/deal</a> '
        '<a href="http://other.example">x</a></p>'
    )
    assert count_links(html) == 2
