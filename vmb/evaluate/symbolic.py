"""Symbolic musicality and reference-similarity metrics on melodies (lists of notes).

Conventions (as in MusPy where a metric exists there):
- a melody is a list of :class:`vmb.types.Note`, times in beats; only onsets, pitches and
  durations are used; ``beats_per_bar`` is the bar length in beats (4/4 -> 4, 6/8 -> 3);
- grids are 16th notes (4 steps per beat); onsets are rounded to the grid;
- pitch-class entropy: Shannon entropy (bits, 0..log2 12) of the note-count pitch-class
  histogram (MusPy ``pitch_class_entropy``);
- scale consistency: the largest fraction of notes inside any of the 24 major/natural-minor
  scales (MusPy ``scale_consistency``);
- groove consistency: 1 - mean Hamming distance between the onset patterns of consecutive
  bars, divided by the steps per bar (MusPy ``groove_consistency``);
- note density: note onsets per bar;
- contour similarity: Pearson correlation of the two melodies' mean-centred pitch curves,
  sampled on the 16th grid (a rest holds the previous pitch) over their common length;
- rhythm similarity: Dice coefficient (F1) of the two onset sets on the 16th grid over their
  common length;
- longest shared run: the longest run of consecutive notes whose (interval to the next note,
  inter-onset interval) sequence appears in both melodies (transposition-invariant copying),
  measured in bars of the first melody.
"""

from __future__ import annotations

import math

import numpy as np

from vmb.types import Note
from vmb.vocab import SCALES

STEPS_PER_BEAT = 4


def _onset_step(beat: float) -> int:
    return int(round(beat * STEPS_PER_BEAT))


def pitch_class_entropy(notes: list[Note]) -> float:
    if not notes:
        return 0.0
    hist = np.bincount([n.pitch % 12 for n in notes], minlength=12).astype(float)
    p = hist[hist > 0] / hist.sum()
    return float(-(p * np.log2(p)).sum())


def scale_consistency(notes: list[Note]) -> float:
    if not notes:
        return 0.0
    pcs = np.array([n.pitch % 12 for n in notes])
    best = 0.0
    for tonic in range(12):
        for steps in SCALES.values():
            scale = {(tonic + s) % 12 for s in steps}
            best = max(best, float(np.mean([pc in scale for pc in pcs])))
    return best


def groove_consistency(notes: list[Note], beats_per_bar: float) -> float:
    steps = int(round(beats_per_bar * STEPS_PER_BEAT))
    if not notes or steps <= 0:
        return 0.0
    n_bars = max(1, math.ceil(max(n.start for n in notes) / beats_per_bar + 1e-9))
    grid = np.zeros((n_bars, steps), bool)
    for n in notes:
        s = _onset_step(n.start)
        bar, within = divmod(s, steps)
        if bar < n_bars:
            grid[bar, within] = True
    if n_bars < 2:
        return 1.0
    hamming = (grid[1:] != grid[:-1]).sum(axis=1) / steps
    return float(1.0 - hamming.mean())


def note_density(notes: list[Note], length_beats: float, beats_per_bar: float) -> float:
    """Note onsets per bar over ``length_beats``."""
    bars = length_beats / beats_per_bar
    return len(notes) / bars if bars > 0 else 0.0


def pitch_curve(notes: list[Note], n_steps: int) -> np.ndarray:
    """(n_steps,) pitch sounding at each 16th step (rests hold the previous pitch; NaN before
    the first note)."""
    curve = np.full(n_steps, np.nan)
    for n in sorted(notes, key=lambda n: n.start):
        a = _onset_step(n.start)
        if a < n_steps:
            curve[a:] = n.pitch  # later onsets overwrite from their start
    return curve


def contour_similarity(a: list[Note], b: list[Note], length_beats: float) -> float:
    """Pearson correlation of the pitch curves over ``length_beats`` (0 if either is flat)."""
    n_steps = int(round(length_beats * STEPS_PER_BEAT))
    ca, cb = pitch_curve(a, n_steps), pitch_curve(b, n_steps)
    ok = ~np.isnan(ca) & ~np.isnan(cb)
    if ok.sum() < 2:
        return 0.0
    x, y = ca[ok] - ca[ok].mean(), cb[ok] - cb[ok].mean()
    denom = math.sqrt(float((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 0 else 0.0


def rhythm_similarity(a: list[Note], b: list[Note], length_beats: float) -> float:
    """Dice coefficient of the onset steps of ``a`` and ``b`` within ``length_beats``."""
    limit = int(round(length_beats * STEPS_PER_BEAT))
    sa = {_onset_step(n.start) for n in a if _onset_step(n.start) < limit}
    sb = {_onset_step(n.start) for n in b if _onset_step(n.start) < limit}
    if not sa and not sb:
        return 1.0
    return 2 * len(sa & sb) / (len(sa) + len(sb))


def _tokens(notes: list[Note]) -> list[tuple[int, int]]:
    line = sorted(notes, key=lambda n: n.start)
    return [(b.pitch - a.pitch, _onset_step(b.start) - _onset_step(a.start)) for a, b in zip(line, line[1:])]


def longest_shared_run(a: list[Note], b: list[Note], beats_per_bar: float) -> float:
    """Length in bars (of ``a``'s time) of the longest note run of ``a`` also found in ``b``.

    A run of k shared (interval, inter-onset) tokens covers k + 1 notes; its length is the
    time from its first note's onset to its last note's end.
    """
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    line = sorted(a, key=lambda n: n.start)
    best_len, best_end = 0, -1
    prev = [0] * (len(tb) + 1)
    for i in range(1, len(ta) + 1):  # longest common substring, O(len(a) * len(b))
        cur = [0] * (len(tb) + 1)
        for j in range(1, len(tb) + 1):
            if ta[i - 1] == tb[j - 1]:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best_len:
                    best_len, best_end = cur[j], i
        prev = cur
    if best_len == 0:
        return 0.0
    first, last = line[best_end - best_len], line[best_end]
    return (last.start + last.duration - first.start) / beats_per_bar


def evaluate_melody(notes: list[Note], *, length_beats: float, beats_per_bar: float) -> dict[str, float]:
    """Every musicality score of one melody, by name."""
    return {
        "pitch_class_entropy": pitch_class_entropy(notes),
        "scale_consistency": scale_consistency(notes),
        "groove_consistency": groove_consistency(notes, beats_per_bar),
        "note_density": note_density(notes, length_beats, beats_per_bar),
    }


def compare_melodies(notes: list[Note], reference: list[Note], *, length_beats: float,
                     beats_per_bar: float) -> dict[str, float]:
    """Similarity of ``notes`` to ``reference`` (both starting at beat 0), by name."""
    return {
        "contour_similarity": contour_similarity(notes, reference, length_beats),
        "rhythm_similarity": rhythm_similarity(notes, reference, length_beats),
        "longest_shared_run_bars": longest_shared_run(notes, reference, beats_per_bar),
    }
