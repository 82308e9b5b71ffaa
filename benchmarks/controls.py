"""Control accuracy of `vmb generate` over varied requests (issue: foundation).

For each request we render the music, write its MIDI and read it back, then measure:
- tempo: librosa's beat tracker on the rendered audio, correct within ±3% of the requested BPM
  or its double/half (vmb.evaluate.controls.tempo_matches);
- key: Krumhansl-Schmuckler on the notes read back from the MIDI, tonic and mode must match;
- instruments: every requested instrument's General MIDI program (or the drum channel) is a
  track with notes in the MIDI file;
- length: rendered audio within ±0.25 s of the requested duration.

Run: python benchmarks/controls.py [--n 50] [--duration 20]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np

from vmb.evaluate.controls import estimate_key, key_matches, measure_tempo, tempo_matches
from vmb.pipeline import generate_from_text, write_outputs
from vmb.render import read_midi
from vmb.types import Attributes
from vmb.vocab import INSTRUMENTS, KEY_NAMES

PROMPTS = [
    "calm piano for a rainy night",
    "an energetic anthem for a car chase",
    "a dreamy walk on the beach at sunset",
    "dark suspenseful music for a horror scene",
    "a happy morning in a busy kitchen",
    "a sad farewell at a train station",
    "an epic battle in the mountains",
    "a cozy cafe on a Sunday afternoon",
    "children playing in a sunny park",
    "a lonely drive through the desert at night",
]
GENRES = ["pop", "rock", "electronic", "hip hop", "lofi", "jazz", "blues", "cinematic", "ambient",
          "folk", "latin", "piano", "country", "funk", "classical"]
INSTRUMENT_SETS = [["piano"], ["violin", "cello"], ["acoustic guitar"], ["synthesizer", "drums"],
                   ["flute", "harp"], ["trumpet"], ["electric guitar", "bass"], ["strings"],
                   ["saxophone"], ["marimba"], []]
TEMPOS = [64, 72, 80, 88, 96, 104, 112, 120, 128, 140, 150]


def requests(n: int):
    rng = np.random.default_rng(1234)
    combos = itertools.islice(itertools.cycle(GENRES), n)
    for i, genre in enumerate(combos):
        key = KEY_NAMES[int(rng.integers(12))]
        mode = "minor" if rng.random() < 0.45 else "major"
        instruments = INSTRUMENT_SETS[i % len(INSTRUMENT_SETS)]
        if genre == "piano":
            instruments = ["piano"]
        yield PROMPTS[i % len(PROMPTS)], Attributes(
            genres=[genre], instruments=list(instruments), tempo_bpm=float(TEMPOS[i % len(TEMPOS)]),
            key=key, mode=mode,
        )


def midi_has(score, instrument: str) -> bool:
    spec = INSTRUMENTS[instrument]
    for track in score.tracks:
        if not track.notes:
            continue
        if spec.is_drum and track.is_drum:
            return True
        if not spec.is_drum and not track.is_drum and track.program == spec.program:
            return True
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (prompt, user) in enumerate(requests(args.n)):
            t0 = time.perf_counter()
            result = generate_from_text(prompt, user=user, duration_s=args.duration, seed=i)
            elapsed = time.perf_counter() - t0
            out = Path(tmp) / f"r{i}.wav"
            write_outputs(result, out, sidecar=False)
            score = read_midi(out.with_suffix(".mid"))
            bpm = measure_tempo(result.audio, result.render.sample_rate)
            tonic, mode, _r = estimate_key(score)
            row = dict(
                genre=user.genres[0], bpm=user.tempo_bpm, measured=bpm,
                tempo_ok=tempo_matches(bpm, user.tempo_bpm),
                key_ok=key_matches(score, user.key, user.mode),
                found_key=f"{tonic} {mode}", key=f"{user.key} {user.mode}",
                instruments_ok=all(midi_has(score, x) for x in user.instruments),
                length_ok=abs(result.render.duration_s - args.duration) <= 0.25,
                seconds=elapsed,
            )
            rows.append(row)
            flag = "" if row["tempo_ok"] and row["key_ok"] and row["instruments_ok"] else "  <-- miss"
            print(f"{i:3d} {row['genre']:10s} {user.tempo_bpm:5.0f} BPM -> {bpm:6.1f}  key {row['key']:9s} -> "
                  f"{row['found_key']:9s} instruments {'ok' if row['instruments_ok'] else 'MISSING'}  "
                  f"{elapsed:4.1f}s{flag}", flush=True)
    n = len(rows)
    for name in ("tempo_ok", "key_ok", "instruments_ok", "length_ok"):
        print(f"{name:15s} {sum(r[name] for r in rows)}/{n} = {100 * sum(r[name] for r in rows) / n:.0f}%")
    by_genre = {}
    for r in rows:
        by_genre.setdefault(r["genre"], []).append(r["tempo_ok"])
    print("tempo by genre:", ", ".join(f"{g} {sum(v)}/{len(v)}" for g, v in by_genre.items()))
    print(f"mean generation time {np.mean([r['seconds'] for r in rows]):.2f} s for {args.duration:g} s of music")


if __name__ == "__main__":
    main()
