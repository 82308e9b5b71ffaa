"""How fast vmb.render.mix mixes, and how much memory it takes.

Mixes 8 parts (a kit with kicks, hats and toms, and 7 tonal parts: noise-modulated sines) of
30 s at 44.1 kHz with the [mix] settings of several styles, with and without stems (best of
5 runs each), then a 10-minute piece of 8 parts, timing it and tracing the peak of the memory
it allocates besides its input parts (numpy reports its buffers to tracemalloc).

    python benchmarks/mix_speed.py [--long-minutes 10] [--styles pop,rock,...]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np

from vmb.knowledge import knowledge
from vmb.render.mix import mix_parts
from vmb.types import Note, Score, TempoChange, Track

RATE = 44100
ROLES = ("drums", "bass", "comp", "pad", "melody", "arp", "counter", "perc")


def band(seconds: float) -> tuple[Score, list[np.ndarray]]:
    beats = int(seconds * 2)  # 120 BPM
    tracks = []
    for role in ROLES:
        if role == "drums":
            notes = [Note(36 if b % 2 == 0 else 38, b, 0.5) for b in range(beats)]
            notes += [Note(42, b / 2, 0.25) for b in range(2 * beats)] + [Note(45, b + 0.5, 0.25)
                                                                        for b in range(3, beats, 8)]
        else:
            notes = [Note(60, b, 1.0) for b in range(beats)]
        tracks.append(Track(role, 0, notes, is_drum=role in ("drums", "perc"), role=role))
    score = Score(tracks, [TempoChange(0.0, 120.0)], length_beats=beats)
    n = int(seconds * RATE)
    rng = np.random.default_rng(0)
    parts = []
    t = np.arange(n, dtype=np.float32) / RATE
    for k, _role in enumerate(ROLES):
        tone = np.sin(2 * np.pi * (55.0 * (k + 1)) * t, dtype=np.float32)
        tone *= np.float32(0.2) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t, dtype=np.float32))
        part = np.empty((n, 2), np.float32)
        part[:, 0] = tone
        part[:, 1] = tone
        part += rng.standard_normal((n, 2), dtype=np.float32) * np.float32(0.02)
        parts.append(part)
    return score, parts


def best_of(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--styles", default="pop,rock,electronic,hip hop,lofi,jazz,classical,cinematic,ambient")
    args = parser.parse_args()
    styles = knowledge().styles
    score, parts = band(30.0)
    print("30 s, 8 parts, 44.1 kHz: seconds per mix (best of 5)")
    print(f"{'style':<12} {'mix only':>9} {'with stems':>11}")
    for name in args.styles.split(","):
        settings = styles[name].mix
        alone = best_of(lambda s=settings: mix_parts(score, parts, s, RATE, stems=False), 5)
        stems = best_of(lambda s=settings: mix_parts(score, parts, s, RATE, stems=True), 5)
        print(f"{name:<12} {alone:>9.3f} {stems:>11.3f}")
    del parts
    gc.collect()

    minutes = args.long_minutes
    score, parts = band(60.0 * minutes)
    input_mb = sum(p.nbytes for p in parts) / 2**20
    print(f"\n{minutes:g} minutes, 8 parts ({input_mb:.0f} MB of input parts): seconds and peak MB allocated")
    for name in ("pop", "lofi"):
        for with_stems in (False, True):
            gc.collect()
            tracemalloc.start()
            start = time.perf_counter()
            result = mix_parts(score, parts, styles[name].mix, RATE, stems=with_stems)
            elapsed = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            kept = (result.audio.nbytes + sum(s.audio.nbytes for s in result.stems)) / 2**20
            print(f"{name:<6} stems={with_stems!s:<5} {elapsed:6.2f} s  peak {peak / 2**20:6.0f} MB "
                  f"(of which the result: {kept:.0f} MB)")
            del result


if __name__ == "__main__":
    main()
