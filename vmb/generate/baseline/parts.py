"""Building blocks of the baseline composer: tune bars, mode mapping, range, variations, tidying.

Times in beats (quarter notes); a :class:`Bar` holds times relative to its own downbeat.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from vmb import VmbError
from vmb.theory import bar_beats
from vmb.types import Chord, LeadSheet, Note
from vmb.vocab import SCALES

LOW, HIGH = 55, 81  # singable melody range: G3..A5
CENTER = 68


@dataclass
class Bar:
    """One bar of the tune: notes and chords relative to its downbeat (notes may ring past it)."""

    source: int  # bar index in the tune (-1 for the pickup)
    notes: list[Note] = field(default_factory=list)
    chords: list[Chord] = field(default_factory=list)


def _q(x: float, grid: int = 48) -> float:
    return round(x * grid) / grid


def tune_bars(sheet: LeadSheet, bar: float) -> tuple[list[Bar], Bar]:
    """The tune's bars after its pickup, and the pickup (times < 0 before the first downbeat).

    When the target ``bar`` differs from the tune's bar length, each bar is time-scaled to fit
    (e.g. 3/4 -> 4/4 stretches by 4/3, snapped to 1/12 beat).
    """
    src_bar = bar_beats(sheet.meter)
    ratio = bar / src_bar
    grid = 48 if ratio == 1 else 12
    body = sheet.sections[0].start if sheet.sections else 0.0
    n = int(round((sheet.length_beats - body) / src_bar))
    if n <= 0:
        raise VmbError(f"reference tune {sheet.title!r} has no full bar")

    def scaled(t: float) -> float:
        return _q(t * ratio, grid)

    bars = [Bar(i) for i in range(n)]
    pickup = Bar(-1)
    for note in sheet.melody:
        rel = note.start - body
        i = int(np.floor(rel / src_bar + 1e-9))
        target = pickup if i < 0 else bars[min(i, n - 1)]
        offset = rel - (0 if i < 0 else min(i, n - 1) * src_bar)
        start = scaled(offset)
        dur = max(scaled(offset + note.duration) - start, 1.0 / grid)
        target.notes.append(Note(note.pitch, start, dur, note.velocity))
    for chord in sheet.chords:
        for i in range(n):
            lo = body + i * src_bar
            a, b = max(lo, chord.start), min(lo + src_bar, chord.start + chord.duration)
            if b - a > 1e-9:
                start, end = scaled(a - lo), scaled(b - lo)
                if end > start:
                    bars[i].chords.append(Chord(start, end - start, chord.root, chord.quality, chord.bass))
    return bars, pickup


# --------------------------------------------------------------------------- key and mode

_MAJ_TO_MIN_PITCH = {4: -1, 9: -1}  # 3rd and 6th lowered; the leading tone stays (harmonic minor)
_MIN_TO_MAJ_PITCH = {3: 1, 8: 1, 10: 1}
# chord root above the tonic -> (new root, quality or None to keep it)
_MAJ_TO_MIN_CHORD = {0: (0, "min"), 2: (2, "dim"), 4: (3, "maj"), 5: (5, "min"), 7: (7, None),
                     9: (8, "maj"), 10: (10, "maj"), 11: (11, "dim")}
_MIN_TO_MAJ_CHORD = {0: (0, "maj"), 2: (2, "min"), 3: (4, "min"), 5: (5, "maj"), 7: (7, None),
                     8: (9, "min"), 10: (7, "maj")}


def map_mode_pitch(pitch: int, tonic: int, src_mode: str, mode: str) -> int:
    """``pitch`` (already in the target key) moved to ``mode``'s scale degrees if modes differ."""
    if src_mode == mode:
        return pitch
    table = _MAJ_TO_MIN_PITCH if mode == "minor" else _MIN_TO_MAJ_PITCH
    return pitch + table.get((pitch - tonic) % 12, 0)


def map_mode_chord(chord: Chord, shift: int, tonic: int, src_mode: str, mode: str) -> Chord:
    """``chord`` transposed by ``shift`` semitones and, if modes differ, re-voiced diatonically."""
    root = (chord.root + shift) % 12
    bass = None if chord.bass is None else (chord.bass + shift) % 12
    quality = chord.quality
    if src_mode != mode:
        table = _MAJ_TO_MIN_CHORD if mode == "minor" else _MIN_TO_MAJ_CHORD
        rel = (root - tonic) % 12
        if rel in table:
            new_rel, new_quality = table[rel]
            root = (tonic + new_rel) % 12
            quality = new_quality or ("7" if quality == "7" else "maj")
        if bass is not None:
            bass = map_mode_pitch(bass, tonic, src_mode, mode) % 12
    return Chord(chord.start, chord.duration, root, quality, bass)


def fit_range(pitches: list[int]) -> int:
    """Octave shift (multiple of 12) that best fits ``pitches`` into LOW..HIGH, centred."""
    if not pitches:
        return 0
    p = np.asarray(pitches)

    def cost(shift: int) -> float:
        q = p + shift
        outside = np.clip(LOW - q, 0, None).sum() + np.clip(q - HIGH, 0, None).sum()
        return float(outside) * 10 + abs(float(np.median(q)) - CENTER)

    return min(range(-48, 49, 12), key=lambda s: (cost(s), abs(s)))


def fold_into_range(pitch: int) -> int:
    while pitch < LOW:
        pitch += 12
    while pitch > HIGH:
        pitch -= 12
    return pitch


# --------------------------------------------------------------------------- variations


def _scale_step(pitch: int, tonic: int, mode: str, up: bool) -> int:
    scale = {(tonic + d) % 12 for d in SCALES[mode]}
    step = 1 if up else -1
    p = pitch + step
    while p % 12 not in scale:
        p += step
    return p


def apply_variation(bar: Bar, kind: str, tonic: int, mode: str, bar_len: float,
                    rng: np.random.Generator) -> Bar:
    """A copy of ``bar`` varied by ``kind``: "original", "octave_up", "octave_down",
    "simplify" (only notes on the beat, held longer) or "ornament" (neighbour notes in long notes)."""
    out = copy.deepcopy(bar)
    notes = out.notes
    if kind in ("octave_up", "octave_down") and notes:
        shift = 12 if kind == "octave_up" else -12
        if all(LOW <= n.pitch + shift <= HIGH for n in notes):
            for n in notes:
                n.pitch += shift
    elif kind == "simplify" and len(notes) > 1:
        compound = abs(bar_len - 3.0) < 1e-9 and any(abs(n.start % 1.5 - 1.0) < 1e-6 for n in notes)
        on_beat = [n for n in notes if abs(n.start - round(n.start)) < 1e-6
                   or (compound and abs(n.start % 1.5) < 1e-6)]
        kept = on_beat or notes[:1]
        for a, b in zip(kept, kept[1:]):
            a.duration = b.start - a.start
        last_end = max(n.start + n.duration for n in notes)
        kept[-1].duration = max(kept[-1].duration, last_end - kept[-1].start)
        out.notes = kept
    elif kind == "ornament":
        result, done = [], 0
        for i, n in enumerate(notes):
            nxt = notes[i + 1].pitch if i + 1 < len(notes) else n.pitch + int(rng.choice([-1, 1]))
            if n.duration >= 1.0 - 1e-9 and done < 2 and i + 1 < len(notes):
                tail = 0.5
                orn = _scale_step(n.pitch, tonic, mode, up=nxt >= n.pitch)
                result.append(Note(n.pitch, n.start, n.duration - tail, n.velocity))
                result.append(Note(fold_into_range(orn), n.start + n.duration - tail, tail, max(1, n.velocity - 8)))
                done += 1
            else:
                result.append(n)
        out.notes = result
    return out


# --------------------------------------------------------------------------- chords and tidying


def intro_chords(n_bars: int, bar: float, tonic: int, mode: str) -> list[Chord]:
    """One chord per intro bar: I | I V | I IV V | I IV I V (minor: i, iv, V)."""
    tonic_q, sub_q = ("maj", "maj") if mode == "major" else ("min", "min")
    degrees = {0: [], 1: [0], 2: [0, 7], 3: [0, 5, 7], 4: [0, 5, 0, 7]}[min(n_bars, 4)]
    degrees = degrees + [0] * max(0, n_bars - 4)
    quality = {0: tonic_q, 5: sub_q, 7: "maj"}
    return [Chord(i * bar, bar, (tonic + d) % 12, quality[d]) for i, d in enumerate(degrees)]


def tidy_chords(chords: list[Chord], lo: float, hi: float) -> list[Chord]:
    """Chords clipped to [lo, hi] that tile it without gaps or overlaps, equal neighbours merged."""
    spans = sorted((c for c in chords if c.start < hi and c.start + c.duration > lo), key=lambda c: c.start)
    out: list[Chord] = []
    for c in spans:
        start = max(lo, c.start)
        if out and start - out[-1].start <= 1e-9:
            out.pop()  # a later chord at the same onset wins
        if out and (out[-1].root, out[-1].quality, out[-1].bass) == (c.root, c.quality, c.bass):
            continue
        out.append(Chord(start, 0.0, c.root, c.quality, c.bass))
    if not out:
        raise VmbError("internal: no chord to cover the piece")
    out[0].start = lo
    for a, b in zip(out, out[1:]):
        a.duration = b.start - a.start
    out[-1].duration = hi - out[-1].start
    return out


def tidy_melody(notes: list[Note], end: float) -> list[Note]:
    """Monophonic melody: sorted, each note cut where the next starts and at ``end``."""
    line: dict[float, Note] = {}
    for n in notes:
        key = round(n.start, 9)
        if 0 <= n.start < end and (key not in line or n.pitch > line[key].pitch):
            line[key] = n
    out = [line[k] for k in sorted(line)]
    for a, b in zip(out, out[1:]):
        a.duration = min(a.duration, b.start - a.start)
    if out:
        out[-1].duration = min(out[-1].duration, end - out[-1].start)
    return [n for n in out if n.duration > 1e-9]
