"""The profanity classifier: the fast path computes exactly what the package's own
predict_prob computes, and scores tell profane from ordinary text."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from profanity_check import profanity_check  # type: ignore[import-untyped]

from parley.domain.moderation.autoflag.classifier import (
    linear_predictor,
    profanity_score,
    score_texts_now,
)

TEXTS = [
    "Good morning, the bakery on 5th opened again!",
    "fuck off you worthless piece of shit",
    "I will kill you",
    "",
    "🙂",
    "word " * 400,
]


def test_the_fast_path_equals_the_packages_predict_prob() -> None:
    fast = linear_predictor(profanity_check.model, profanity_check.vectorizer)
    assert fast is not None
    for mine, theirs in zip(fast(TEXTS), profanity_check.predict_prob(TEXTS), strict=True):
        assert abs(mine - float(theirs)) < 1e-9


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=st.text(max_size=300))
def test_the_fast_path_agrees_on_any_text(text: str) -> None:
    (mine,) = score_texts_now([text])
    (theirs,) = profanity_check.predict_prob([text])
    assert abs(mine - float(theirs)) < 1e-9
    assert 0.0 <= mine <= 1.0


def test_a_model_of_another_shape_is_not_given_the_fast_path() -> None:
    assert linear_predictor(SimpleNamespace(), profanity_check.vectorizer) is None
    isotonic = SimpleNamespace(
        method="isotonic", classes_=[0, 1], calibrated_classifiers_=[SimpleNamespace()]
    )
    assert linear_predictor(isotonic, profanity_check.vectorizer) is None


async def test_scores_tell_profanity_from_ordinary_text() -> None:
    assert await profanity_score("fuck off you worthless piece of shit") > 0.9
    assert await profanity_score("Good morning, the bakery on 5th opened again!") < 0.2
    assert await profanity_score("   ") == 0.0
