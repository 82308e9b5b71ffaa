"""Fakes of vmb's data for tests, benchmarks and quick runs: the one home of test fakes.

Small synthetic lead sheets and library entries (no corpus needed), importable by the tests,
the benchmarks and users' own tests alike; depends only on the shared modules.

Melodies walk the scale in 8ths and quarters on the 16th grid; chords are diatonic triads,
one per bar (two per 4/4 bar at random); sections are 4-bar phrases lettered A A B A.
"""

from __future__ import annotations

import numpy as np

from vmb.theory import bar_beats
from vmb.types import Chord, LeadSheet, LibraryEntry, Note, Section
from vmb.vocab import KEY_NAMES, SCALES, tempo_class_of

_TRIADS = {"major": [(0, "maj"), (5, "maj"), (7, "maj"), (9, "min"), (2, "min")],
           "minor": [(0, "min"), (5, "min"), (7, "maj"), (8, "maj"), (3, "maj")]}


def fake_lead_sheet(seed: int = 0, *, meter: str = "4/4", mode: str = "major", key: str | None = None,
                    n_bars: int = 8) -> LeadSheet:
    rng = np.random.default_rng(seed)
    tonic = int(rng.integers(0, 12)) if key is None else KEY_NAMES.index(key)
    bar = bar_beats(meter)
    scale = SCALES[mode]
    melody, degree, t = [], 7, 0.0
    while t < n_bars * bar - 1e-9:
        dur = float(rng.choice([0.5, 1.0, 0.5, 0.25])) if t % 0.5 == 0 else 0.25
        dur = min(dur, n_bars * bar - t)
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, 13))
        pitch = 60 + tonic + 12 * (degree // 7) + scale[degree % 7]
        melody.append(Note(pitch=int(pitch), start=t, duration=dur))
        t += dur
    chords = []
    for b in range(n_bars):
        halves = 2 if meter == "4/4" and rng.random() < 0.3 else 1
        for h in range(halves):
            root_deg, quality = _TRIADS[mode][int(rng.integers(0, 5))] if b % 4 else _TRIADS[mode][0]
            start, root = b * bar + h * bar / halves, (tonic + root_deg) % 12
            if chords and (chords[-1].root, chords[-1].quality) == (root, quality):
                chords[-1].duration += bar / halves  # equal neighbours are one chord, as in the corpus
            else:
                chords.append(Chord(start=start, duration=bar / halves, root=root, quality=quality))
    letters = "AABA"
    sections = [Section(letters[i % 4], i * 4 * bar, min(n_bars, (i + 1) * 4) * bar) for i in range((n_bars + 3) // 4)]
    return LeadSheet(melody=melody, chords=chords, sections=sections, key=KEY_NAMES[tonic], mode=mode,
                     meter=meter, length_beats=n_bars * bar, title=f"fake {seed}", source=f"fake:{seed}")


def fake_entries(n: int, seed: int = 0) -> list[LibraryEntry]:
    """``n`` entries with lead sheets of mixed meter, mode and tempo."""
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(n):
        meter = ["4/4", "3/4", "6/8", "2/4"][i % 4]
        mode = "minor" if rng.random() < 0.4 else "major"
        bpm = float(rng.uniform(60, 160))
        sheet = fake_lead_sheet(seed * 1000 + i, meter=meter, mode=mode, n_bars=int(rng.integers(6, 13)))
        entries.append(LibraryEntry(
            id=f"fake/{i}", title=sheet.title, source=sheet.source, bpm=bpm, tempo_class=tempo_class_of(bpm),
            key=sheet.key, mode=mode, meter=meter, description=f"a {mode} tune in {meter}", lead_sheet=sheet,
        ))
    return entries

