from __future__ import annotations

from datetime import timedelta

from parley.db.base import utcnow
from parley.domain.filters.matching import ActiveFilter, hides, match_filters


def _filter(*keywords: tuple[str, bool], **kwargs: object) -> ActiveFilter:
    values: dict[str, object] = {
        "id": 1,
        "title": "Spoilers",
        "context": ("home", "public"),
        "action": "warn",
        "expires_at": None,
        "keywords": keywords,
    }
    values.update(kwargs)
    return ActiveFilter(**values)  # type: ignore[arg-type]


def test_keywords_match_any_case_and_whole_words_only_when_asked() -> None:
    whole = _filter(("cat", True))
    part = _filter(("cat", False))
    assert match_filters([whole], post_ids=[1], words="A CAT sat")[0].keyword_matches == ["cat"]
    assert match_filters([whole], post_ids=[1], words="concatenate") == []
    assert match_filters([part], post_ids=[1], words="concatenate")[0].keyword_matches == ["cat"]


def test_keywords_with_symbols_at_the_ends_still_match_as_whole_words() -> None:
    assert match_filters([_filter(("#tv", True))], post_ids=[1], words="on #tv tonight")
    assert match_filters([_filter(("c++", True))], post_ids=[1], words="I like c++.")
    assert match_filters([_filter(("a.b", True))], post_ids=[1], words="axb") == []


def test_filtered_posts_match_by_id_and_only_in_their_contexts() -> None:
    f = _filter(post_ids=frozenset({7}))
    assert match_filters([f], post_ids=[5, 7], words="")[0].status_matches == [7]
    assert match_filters([f], post_ids=[7], words="", context="notifications") == []
    assert match_filters([f], post_ids=[7], words="", context="home")


def test_expired_filters_do_nothing_and_hide_is_reported() -> None:
    past = _filter(("cat", False), expires_at=utcnow() - timedelta(seconds=1), action="hide")
    assert match_filters([past], post_ids=[1], words="cat", now=utcnow()) == []
    assert hides(match_filters([past], post_ids=[1], words="cat"))
