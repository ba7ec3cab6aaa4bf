"""What scoring costs per post: the profanity classifier, the threat lexicon, and the
classifier's one-time model load.

    python -m bench.autoflag [--posts 300]

Each post-sized text (a mix of ordinary, profane and threatening posts of 40 to 500
characters) is scored one at a time, as the posting path does:
- package: the package's own `predict_prob([text])` (what Parley avoids: scikit-learn's
  input validation dominates it);
- classifier: `score_texts_now([text])` (the call the async path runs in a worker thread);
- classifier via thread: `await profanity_score(text)` (the real path, thread hop included);
- lexicon: the shipped lexicon matched against the text.

Reference, in the same run and on the same texts: rendering the text to HTML with
`parley.domain.posts.formatting.render_text`, which every post already pays. The ratios say
how much each scorer costs over that rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Sequence

from bench import report
from parley.domain.moderation.autoflag import classifier, lexicon
from parley.domain.posts.formatting import MentionTarget, render_text

SAMPLES = [
    "Just had a lovely coffee with friends at the new place downtown, highly recommend it!",
    "Does anyone know a good tutorial for async SQLAlchemy? #python @bob",
    "I will kill you if you touch my sandwich again, @carol",
    "This is absolute bullshit, the council voted it through without asking anyone.",
    "Reading a long thread about federation: https://example.org/posts/123 worth it.",
    "someone should shoot the messenger, they said, but the messenger was a pigeon.",
    "Morning run done. 10 km in the rain and I feel fantastic. " * 4,
    "what a fucking disaster of a game, we deserved to lose",
]


def texts(count: int) -> list[str]:
    return [f"{SAMPLES[i % len(SAMPLES)]} ({i})" for i in range(count)]


def timed(fn: Callable[[str], object], items: Sequence[str]) -> list[float]:
    result = []
    for text in items:
        start = time.perf_counter()
        fn(text)
        result.append(time.perf_counter() - start)
    return result


async def timed_async(items: Sequence[str]) -> list[float]:
    result = []
    for text in items:
        start = time.perf_counter()
        await classifier.profanity_score(text)
        result.append(time.perf_counter() - start)
    return result


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        **report.milliseconds(seconds),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 3),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.autoflag")
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args(argv)
    items = texts(args.posts)

    start = time.perf_counter()
    classifier.score_texts_now(["warm up: loads the model"])
    load_seconds = time.perf_counter() - start

    def no_mention(username: str, domain: str | None) -> MentionTarget | None:
        return None

    entries = lexicon.default_entries()
    reference = timed(lambda t: render_text(t, tag_url=lambda n: n, resolve=no_mention), items)
    from profanity_check import predict_prob  # type: ignore[import-untyped]

    package = timed(lambda t: predict_prob([t]), items)
    scored = timed(lambda t: classifier.score_texts_now([t]), items)
    threaded = asyncio.run(timed_async(items))
    matched = timed(lambda t: lexicon.match_entries(entries, t), items)
    ref = statistics.median(reference)
    results = {
        "posts": args.posts,
        "model_load_s": round(load_seconds, 3),
        "reference_render_text": summary(reference),
        "package_predict_prob": summary(package),
        "classifier": summary(scored),
        "classifier_via_thread": summary(threaded),
        "lexicon": summary(matched),
        "ratio_median_package_to_render": round(statistics.median(package) / ref, 1),
        "ratio_median_classifier_to_render": round(statistics.median(scored) / ref, 1),
        "ratio_median_classifier_thread_to_render": round(statistics.median(threaded) / ref, 1),
        "ratio_median_lexicon_to_render": round(statistics.median(matched) / ref, 1),
    }
    for key, value in results.items():
        print(f"{key}: {value}")
    report.write("autoflag", {"scenario": "autoflag", **results})


if __name__ == "__main__":
    main()
