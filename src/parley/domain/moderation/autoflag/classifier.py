"""The shipped profanity classifier (alt-profanity-check: a TF-IDF vectorizer and a linear SVM
calibrated with sigmoids, whose weights are in the wheel, so nothing is downloaded at run time).

Loading takes a few seconds, so the model is loaded once per process on first use, and both
loading and scoring run in a worker thread, off the event loop. The package's own
`predict_prob` spends about 20 ms per post in scikit-learn's input validation (five calibrated
folds, each validated again); the same arithmetic on the fitted arrays takes well under a
millisecond, so that is what scores posts. At load it is checked against `predict_prob` on
sample texts, and if the model ever has another shape or the two disagree, `predict_prob` is
used as it is. bench/autoflag.py measures both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import anyio.to_thread
import numpy as np

log = logging.getLogger(__name__)

Predict = Callable[[Sequence[str]], Sequence[float]]
_lock = threading.Lock()
_predict: Predict | None = None
CHECK_TEXTS = [
    "have a lovely day",
    "you are a fucking idiot",
    "I will kill you",
    "the meeting moved to Tuesday at 10",
    "what the hell is this shit",
]
TOLERANCE = 1e-9


def linear_predictor(model: Any, vectorizer: Any) -> Predict | None:
    """The calibrated model as array arithmetic, or None if it is not the expected shape
    (binary, sigmoid-calibrated linear estimators: mean over folds of
    1 / (1 + exp(a * decision + b)), as CalibratedClassifierCV.predict_proba computes)."""
    try:
        folds = model.calibrated_classifiers_
        if getattr(model, "method", None) != "sigmoid" or len(model.classes_) != 2:
            return None
        if any(list(f.estimator.classes_) != list(model.classes_) for f in folds):
            return None
        coefs = np.vstack([np.asarray(f.estimator.coef_, dtype=np.float64) for f in folds])
        intercepts = np.array([float(f.estimator.intercept_[0]) for f in folds])
        a = np.array([float(f.calibrators[0].a_) for f in folds])
        b = np.array([float(f.calibrators[0].b_) for f in folds])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if coefs.shape[0] != len(folds):
        return None

    def predict(texts: Sequence[str]) -> Sequence[float]:
        decisions = np.asarray(vectorizer.transform(list(texts)) @ coefs.T) + intercepts
        probabilities = 1.0 / (1.0 + np.exp(a * decisions + b))
        return [float(p) for p in probabilities.mean(axis=1)]

    return predict


def _load() -> Predict:
    global _predict
    with _lock:
        if _predict is None:
            # Importing the package loads its vectorizer and model.
            from profanity_check import profanity_check  # type: ignore[import-untyped]

            def reference(texts: Sequence[str]) -> Sequence[float]:
                return [float(p) for p in profanity_check.predict_prob(list(texts))]

            fast = linear_predictor(profanity_check.model, profanity_check.vectorizer)
            agrees = fast is not None and all(
                abs(x - y) <= TOLERANCE
                for x, y in zip(fast(CHECK_TEXTS), reference(CHECK_TEXTS), strict=True)
            )
            if fast is None or not agrees:
                log.warning("profanity model has an unexpected shape: using predict_prob")
            _predict = fast if fast is not None and agrees else reference
        return _predict


def score_texts_now(texts: Sequence[str]) -> list[float]:
    """Probability that each text is profane or offensive (blocking: call from a thread)."""
    if not texts:
        return []
    return list(_load()(texts))


async def profanity_score(text: str) -> float:
    """Probability (0..1) that `text` is profane or offensive; 0 for empty text."""
    if not text.strip():
        return 0.0
    scores = await anyio.to_thread.run_sync(score_texts_now, [text])
    return scores[0]
