"""Key finding, a rule-based harmoniser for melodies, and chord naming for pitch sets.

Pure numpy (no music21), so the tune builder and the tests share it. Conventions:
times in beats (quarter notes), pitches as MIDI numbers, pitch classes 0..11 with C = 0,
keys as (tonic pitch class, "major" | "minor").

The harmoniser picks one diatonic chord per harmonic unit (half a bar in 4/4 and 6/8,
a whole bar in 3/4 and 2/4) with a Viterbi search that scores
- melody fit: chord tones count for, other tones against, weighted by duration and metric strength;
- progression: functional moves (IV-V, V-I, ii-V, vi-ii ...) are preferred, V-IV is not;
- harmonic rhythm: changing chord in the middle of a bar costs more than at a bar line;
- cadences: I (or a half cadence on V) at phrase ends, V-I into them, I at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmb import theory
from vmb.theory import bar_beats
from vmb.types import Chord, Note
from vmb.vocab import CHORD_QUALITIES


def harmonic_unit(meter_name: str) -> float:
    """Beats per harmonic unit: half a bar in 4/4 and 6/8, a bar in 3/4 and 2/4."""
    return theory.meter(meter_name).harmonic_unit


def metric_weight(position: float, meter: str) -> float:
    """How strong an onset ``position`` beats into the bar is: 1 on the downbeat, ~0.2 off the beat."""
    pos = round(position % bar_beats(meter), 4)
    if pos == 0:
        return 1.0
    if pos in theory.meter(meter).strong_beats:
        return 0.8
    beat = 0.5 if meter == "6/8" else 1.0
    if abs(pos / beat - round(pos / beat)) < 1e-6:
        return 0.55
    if abs(pos * 2 - round(pos * 2)) < 1e-6:
        return 0.35
    return 0.2


def pitch_class_histogram(notes: list[Note], meter: str) -> np.ndarray:
    """(12,) duration x metric-strength weights of the melody's pitch classes."""
    hist = np.zeros(12)
    for n in notes:
        hist[n.pitch % 12] += n.duration * (0.5 + metric_weight(n.start, meter))
    return hist


def find_key(
    notes: list[Note],
    meter: str,
    *,
    signature_tonic: int | None = None,
    final_bonus: float = 0.25,
    signature_bonus: float = 0.15,
) -> tuple[int, str]:
    """(tonic pitch class, mode) by Krumhansl-Schmuckler correlation over all 24 keys.

    Folk tunes nearly always end on their tonic, so the final note's key gets ``final_bonus``;
    ``signature_tonic`` (the major tonic the key signature implies) gives its relative
    major/minor ``signature_bonus``. Correlations lie in [-1, 1].
    """
    if not notes:
        raise ValueError("find_key needs at least one note")
    hist = pitch_class_histogram(notes, meter)
    final_pc = max(notes, key=lambda n: n.start).pitch % 12
    best, best_score = (0, "major"), -np.inf
    for mode, profile in theory.KK_PROFILES.items():
        for tonic in range(12):
            score = float(np.corrcoef(hist, np.roll(profile, tonic))[0, 1]) if hist.std() > 0 else 0.0
            if tonic == final_pc:
                score += final_bonus
            if signature_tonic is not None:
                relative = signature_tonic if mode == "major" else (signature_tonic + 9) % 12
                if tonic == relative:
                    score += signature_bonus
            if score > best_score:
                best, best_score = (tonic, mode), score
    return best


# --------------------------------------------------------------------------- chord vocabulary


@dataclass(frozen=True)
class _Candidate:
    degree: int  # 0..6 scale degree of the root (I = 0)
    offset: int  # root in semitones above the tonic
    quality: str
    prior: float  # small preference for common chords


_MAJOR_CHORDS = [
    _Candidate(0, 0, "maj", 0.10), _Candidate(1, 2, "min", 0.01), _Candidate(2, 4, "min", -0.03),
    _Candidate(3, 5, "maj", 0.06), _Candidate(4, 7, "maj", 0.07), _Candidate(5, 9, "min", 0.02),
    _Candidate(4, 7, "7", 0.02), _Candidate(6, 10, "maj", -0.10),  # bVII for mixolydian tunes
]
_MINOR_CHORDS = [
    _Candidate(0, 0, "min", 0.10), _Candidate(3, 5, "min", 0.05), _Candidate(4, 7, "min", -0.01),
    _Candidate(4, 7, "maj", 0.05), _Candidate(4, 7, "7", 0.02), _Candidate(5, 8, "maj", 0.02),
    _Candidate(2, 3, "maj", 0.02), _Candidate(6, 10, "maj", 0.01),
]

# Progression preference between root degrees [from][to] (staying put is handled apart).
_MOVES = np.zeros((7, 7))
for (_a, _b), _v in {
    (0, 3): 0.05, (0, 4): 0.05, (0, 5): 0.03, (0, 1): 0.02,
    (1, 4): 0.08, (1, 0): -0.03, (1, 5): -0.03,
    (2, 5): 0.06, (2, 3): 0.03,
    (3, 4): 0.06, (3, 0): 0.04, (3, 1): 0.02,
    (4, 0): 0.08, (4, 5): 0.04, (4, 3): -0.06, (4, 1): -0.06, (4, 2): -0.03,
    (5, 1): 0.05, (5, 3): 0.05, (5, 4): 0.02,
    (6, 0): 0.04, (6, 2): 0.03, (6, 3): 0.02,
}.items():
    _MOVES[_a, _b] = _v


def harmonise(
    melody: list[Note],
    *,
    tonic: int,
    mode: str,
    meter: str,
    length_beats: float,
    phrase_ends: list[float] = (),
) -> list[Chord]:
    """Chords for a monophonic ``melody`` that tile [0, length_beats] without gaps.

    ``phrase_ends`` are beat positions where phrases end (section boundaries); the harmonic
    unit just before each prefers I (or V), approached from V. The last bar prefers I strongly.
    """
    unit, bar = harmonic_unit(meter), bar_beats(meter)
    n_units = max(1, int(np.ceil(length_beats / unit - 1e-9)))
    cands = _MAJOR_CHORDS if mode == "major" else _MINOR_CHORDS
    tones = [{(tonic + c.offset + iv) % 12 for iv in CHORD_QUALITIES[c.quality]} for c in cands]
    fit = np.zeros((n_units, len(cands)))
    has_notes = np.zeros(n_units, dtype=bool)
    for u in range(n_units):
        lo, hi = u * unit, (u + 1) * unit
        total, scores = 0.0, np.zeros(len(cands))
        for n in melody:
            overlap = min(hi, n.start + n.duration) - max(lo, n.start)
            if overlap <= 1e-9:
                continue
            w = overlap * metric_weight(max(lo, n.start), meter)
            total += w
            for i, chord_tones in enumerate(tones):
                scores[i] += w if n.pitch % 12 in chord_tones else -0.6 * w
        has_notes[u] = total > 0
        fit[u] = scores / max(total, 0.75) + np.array([c.prior for c in cands])

    # Cadences: the unit that starts the last bar of a phrase, and the piece's final bar.
    last_note = max((n.start for n in melody), default=0.0)
    final_bar_unit = int(np.floor(last_note / bar) * bar / unit + 1e-9)
    cadence_units = set()
    for end in phrase_ends:
        ends_before = [n.start for n in melody if n.start < end - 1e-9]
        if ends_before:
            cadence_units.add(int(np.floor(max(ends_before) / bar) * bar / unit + 1e-9))
    for u in cadence_units:
        for i, c in enumerate(cands):
            fit[u, i] += 0.25 if (c.degree == 0) else 0.08 if c.degree == 4 else 0.0
    first_unit = int(np.argmax(has_notes)) if has_notes.any() else 0
    for i, c in enumerate(cands):
        if c.degree == 0:
            fit[first_unit, i] += 0.2
            fit[final_bar_unit:, i] += 1.5
        if c.quality == "7" and final_bar_unit > 0:
            fit[final_bar_unit - 1, i] += 0.1

    # Viterbi over units; transitions depend on whether the unit starts a bar.
    n_c = len(cands)
    trans = np.zeros((n_c, n_c))
    for i, a in enumerate(cands):
        for j, b in enumerate(cands):
            if i != j:
                same_root = a.degree == b.degree
                trans[i, j] = (0.0 if same_root else _MOVES[a.degree, b.degree]) - 0.04
                if a.quality == "7" and b.degree != 0:
                    trans[i, j] -= 0.06  # V7 wants to resolve
    score = fit[0].copy()
    back = np.zeros((n_units, n_c), dtype=int)
    for u in range(1, n_units):
        mid_bar = abs((u * unit) % bar) > 1e-6
        t = trans.copy()
        if mid_bar:
            t[~np.eye(n_c, dtype=bool)] -= 0.15
        if u in cadence_units:
            for i, a in enumerate(cands):
                for j, b in enumerate(cands):
                    if a.degree == 4 and b.degree == 0:
                        t[i, j] += 0.15
        total = score[:, None] + t
        back[u] = np.argmax(total, axis=0)
        score = total[back[u], np.arange(n_c)] + fit[u]
    path = [int(np.argmax(score))]
    for u in range(n_units - 1, 0, -1):
        path.append(int(back[u, path[-1]]))
    path.reverse()

    chords: list[Chord] = []
    for u, i in enumerate(path):
        c = cands[i]
        start, end = u * unit, min(length_beats, (u + 1) * unit)
        if end - start <= 1e-9:
            continue
        root = (tonic + c.offset) % 12
        if chords and chords[-1].root == root and chords[-1].quality == c.quality:
            chords[-1].duration = end - chords[-1].start
        else:
            chords.append(Chord(start=start, duration=end - start, root=root, quality=c.quality))
    return chords


# --------------------------------------------------------------------------- naming pitch sets

_NAMING_QUALITIES = ("maj", "min", "dim", "7", "min7", "maj7", "dim7", "m7b5", "sus4")
_QUALITY_PRIOR = {"maj": 0.1, "min": 0.08, "7": 0.03, "dim": 0.0, "min7": 0.0, "maj7": -0.02}


def name_chord(weights: np.ndarray, bass_pc: int | None = None) -> tuple[int, str, int | None]:
    """(root, quality, slash bass or None) best matching a (12,) pitch-class weight vector.

    Template matching: present chord tones count for, other sounding tones against,
    missing chord tones cost a little; a root in the bass is preferred.
    """
    total = float(weights.sum())
    if total <= 0:
        raise ValueError("name_chord needs at least one sounding pitch")
    w = weights / total
    best, best_score = (0, "maj"), -np.inf
    for root in range(12):
        for quality in _NAMING_QUALITIES:
            pcs = {(root + iv) % 12 for iv in CHORD_QUALITIES[quality]}
            inside = sum(w[pc] for pc in pcs)
            missing = sum(1 for pc in pcs if w[pc] == 0)
            score = inside - (1 - inside) - 0.15 * missing + _QUALITY_PRIOR.get(quality, -0.03)
            if bass_pc is not None and bass_pc == root:
                score += 0.12
            if score > best_score:
                best, best_score = (root, quality), score
    root, quality = best
    bass = bass_pc if bass_pc is not None and bass_pc != root else None
    return root, quality, bass
