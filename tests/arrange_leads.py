"""Hand-built lead sheets and a Krumhansl-Schmuckler key estimator for the arranger tests."""

from __future__ import annotations

import numpy as np

from vmb.theory import KK_MAJOR as KS_MAJOR
from vmb.theory import KK_MINOR as KS_MINOR
from vmb.theory import bar_beats
from vmb.types import Chord, LeadSheet, Note, Score, Section
from vmb.vocab import PITCH_CLASS, SCALES

# Progressions as (scale degree 0-based, quality) per bar.
PROGRESSIONS = {
    "major": [[(0, "maj"), (5, "min"), (3, "maj"), (4, "maj")],  # I vi IV V
              [(0, "maj"), (3, "maj"), (4, "maj"), (0, "maj")],  # I IV V I
              [(0, "maj"), (5, "min"), (1, "min"), (4, "maj")]],  # I vi ii V
    "minor": [[(0, "min"), (3, "min"), (4, "maj"), (0, "min")],  # i iv V i
              [(0, "min"), (5, "maj"), (3, "min"), (4, "maj")],  # i VI iv V
              [(0, "min"), (6, "maj"), (5, "maj"), (4, "maj")]],  # i VII VI V
}


def make_lead(key: str = "G", mode: str = "major", meter: str = "4/4", *, bars: int = 4,
              sections: tuple[tuple[str, float], ...] = (("intro", 0.3), ("A", 0.5), ("B", 0.8), ("ending", 0.5)),
              progression: int = 0, seed: int = 0) -> LeadSheet:
    """``bars`` bars per section over a diatonic progression; a stepwise melody of chord tones
    on beats and scale tones between, silent in the intro, ending on the tonic."""
    rng = np.random.default_rng(seed)
    bb = bar_beats(meter)
    tonic = PITCH_CLASS[key.upper()]
    scale = [(tonic + s) % 12 for s in SCALES[mode]]
    prog = PROGRESSIONS[mode][progression]
    secs, chords, melody = [], [], []
    t, prev = 0.0, 67
    for s_i, (name, energy) in enumerate(sections):
        secs.append(Section(name, t, t + bars * bb, energy))
        for b in range(bars):
            last = s_i == len(sections) - 1 and b == bars - 1
            deg, quality = (0, "maj" if mode == "major" else "min") if last else prog[b % len(prog)]
            root = scale[deg]
            chords.append(Chord(t, bb, root, quality))
            tones = [(root + iv) % 12 for iv in ((0, 4, 7) if quality == "maj" else (0, 3, 7))]
            unit = 0.5 if meter == "6/8" else 1.0
            k = 0.0
            while name != "intro" and k < bb - 1e-6:
                d = min(bb - k, unit * (2 if rng.random() < 0.3 else 1))
                on_beat = abs(k - round(k / (1.5 if meter == "6/8" else 1.0)) * (1.5 if meter == "6/8" else 1.0)) < 1e-6
                pcs = [tonic] if last else tones if on_beat else scale
                cands = [p for p in range(prev - 5, prev + 6) if p % 12 in pcs and 60 <= p <= 81] or [60 + pcs[0]]
                prev = int(cands[int(rng.integers(0, len(cands)))])
                melody.append(Note(prev, t + k, d * 0.95, 90))
                k += d
            t += bb
    return LeadSheet(melody=melody, chords=chords, sections=secs, key=key, mode=mode, meter=meter,
                     length_beats=t, title="test tune")


def estimate_key(score: Score) -> tuple[int, str]:
    """Krumhansl-Schmuckler: the key whose profile best correlates with the duration-weighted
    pitch-class histogram of the pitched tracks. Returns (tonic pitch class, mode)."""
    hist = np.zeros(12)
    for track in score.tracks:
        if not track.is_drum:
            for n in track.notes:
                hist[n.pitch % 12] += n.duration
    best = max(((np.corrcoef(hist, np.roll(profile, tonic))[0, 1], tonic, mode)
                for tonic in range(12) for mode, profile in (("major", KS_MAJOR), ("minor", KS_MINOR))))
    return best[1], best[2]
