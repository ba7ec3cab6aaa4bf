"""Image uploads processed per second, against Pillow's own decode + resize + encode.

    python -m bench.media [--runs 8]

The input is a 12-megapixel JPEG (4000x3000, with sensor-like grain so it weighs what a
phone photo does, and EXIF and GPS tags), made in the run. Parley's path is
`parley.domain.media.processing.process_image`: verify, decode, resize to 1920 px, apply
orientation, strip every tag by re-encoding from pixels, a 640 px thumbnail, a blurhash,
JPEG encoding of both. The reference, in the same run on the same bytes, is the least
Pillow must do for the same job: open, thumbnail to 1920 px (LANCZOS; Pillow reduces while
decoding by itself), encode JPEG. The ratio says what the safety and the extras cost.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

from PIL import Image
from tests.fixtures.media import jpeg_with_gps

from parley.domain.media import processing


def reference(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data))
    # Pillow's idiomatic path: thumbnail() on the unloaded file lets the JPEG decoder
    # reduce while decoding (draft), as Parley's path does.
    image.thumbnail((processing.MAX_SIDE, processing.MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def parley(data: bytes) -> bytes:
    return processing.process_image(data).data


def per_second(work: Callable[[bytes], bytes], data: bytes, runs: int) -> tuple[float, float]:
    work(data)  # warm-up (codec tables, first allocation)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work(data)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return 1 / median, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    data = jpeg_with_gps(4000, 3000, grain=True)
    print(f"input: 4000x3000 JPEG, {len(data) / 1e6:.1f} MB, {args.runs} runs each (median)")
    rows = []
    for name, work in (
        ("pillow decode+resize+encode", reference),
        ("parley process_image", parley),
    ):
        rate, median = per_second(work, data, args.runs)
        rows.append((name, rate, median))
        print(f"{name:30s} {rate:6.2f} images/s  ({median * 1000:6.1f} ms each)")
    print(f"ratio parley / pillow: {rows[1][1] / rows[0][1]:.2f}x the throughput")


if __name__ == "__main__":
    main()
