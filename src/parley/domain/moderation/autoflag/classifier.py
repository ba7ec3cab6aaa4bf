"""The shipped profanity classifier (alt-profanity-check: a linear model whose weights are in
the wheel, so nothing is downloaded at run time).

Loading the model takes about two seconds and scoring one post a few milliseconds of CPU, so
the model is loaded once per process on first use, and both loading and scoring run in a
worker thread, off the event loop (bench/autoflag_classifier.py measures it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import anyio.to_thread

_lock = threading.Lock()
_predict: Callable[[Sequence[str]], Any] | None = None


def _load() -> Callable[[Sequence[str]], Any]:
    global _predict
    with _lock:
        if _predict is None:
            # Importing the package loads its vectorizer and model.
            from profanity_check import predict_prob  # type: ignore[import-untyped]

            _predict = predict_prob
        return _predict


def score_texts_now(texts: Sequence[str]) -> list[float]:
    """Probability that each text is profane or offensive (blocking: call from a thread)."""
    if not texts:
        return []
    return [float(p) for p in _load()(list(texts))]


async def profanity_score(text: str) -> float:
    """Probability (0..1) that `text` is profane or offensive; 0 for empty text."""
    if not text.strip():
        return 0.0
    scores = await anyio.to_thread.run_sync(score_texts_now, [text])
    return scores[0]
