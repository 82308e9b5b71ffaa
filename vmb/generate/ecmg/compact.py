"""The roll as stored: :class:`CompactRoll` (small integer arrays, for data sets), the encoder
from lead sheets into it, and :func:`densify` into the float roll the model sees."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vmb.generate.ecmg.layout import LAYOUT, STEPS_PER_BAR, beat_to_step, melody_index, step_mask
from vmb.theory import bar_beats
from vmb.types import LeadSheet
from vmb.vocab import key_pitch_class


@dataclass
class CompactRoll:
    """The roll as small integer arrays (about 6 bytes a step instead of 296), for data sets.

    mel: (n,) int8 melody window index, -1 = rest; mel_on: (n,) bool onsets;
    chroma: (n, 12) bool chord tones relative to the tonic; bass: (n,) int8 bass degree
    (0..11, -1 = none); bass_on: (n,) bool; mask: (n,) bool real steps of the meter.
    """

    mel: np.ndarray
    mel_on: np.ndarray
    chroma: np.ndarray
    bass: np.ndarray
    bass_on: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.mel)

    def slice(self, a: int, b: int) -> "CompactRoll":
        """Rows a..b (padded with silence past the end)."""
        n = b - a
        out = empty_compact(n)
        piece = slice(a, min(b, len(self)))
        m = piece.stop - piece.start
        for name in ("mel", "mel_on", "chroma", "bass", "bass_on", "mask"):
            getattr(out, name)[:m] = getattr(self, name)[piece]
        return out


def empty_compact(n: int) -> CompactRoll:
    return CompactRoll(
        mel=np.full(n, -1, np.int8), mel_on=np.zeros(n, bool), chroma=np.zeros((n, 12), bool),
        bass=np.full(n, -1, np.int8), bass_on=np.zeros(n, bool), mask=np.zeros(n, bool),
    )


def encode_compact(sheet: LeadSheet, n_bars: int | None = None) -> CompactRoll:
    """A lead sheet -> :class:`CompactRoll` (see :meth:`vmb.generate.ecmg.roll.PianoRoll.encode`)."""
    meter = sheet.meter
    tonic = key_pitch_class(sheet.key)
    per_bar = bar_beats(meter)
    if n_bars is None:
        end = max([sheet.length_beats] + [n.start + n.duration for n in sheet.melody]
                  + [c.start + c.duration for c in sheet.chords])
        n_bars = max(1, math.ceil(end / per_bar - 1e-6))
    total = n_bars * STEPS_PER_BAR
    out = empty_compact(total)
    out.mask[:] = step_mask(meter, n_bars)

    def span(start: float, duration: float) -> np.ndarray:
        a = beat_to_step(start, meter)
        b = max(a + 1, beat_to_step(start + duration, meter))
        steps = np.arange(a, min(b, total))
        return steps[out.mask[steps]] if len(steps) else steps

    for note in sorted(sheet.melody, key=lambda n: n.start):
        steps = span(note.start, note.duration)
        if len(steps):  # monophonic: a later note replaces an overlap
            out.mel[steps] = melody_index(note.pitch, tonic)
            out.mel_on[steps[0]] = True
    for chord in sorted(sheet.chords, key=lambda c: c.start):
        steps = span(chord.start, chord.duration)
        if not len(steps):
            continue
        out.chroma[steps] = False
        for pc in chord.pitch_classes():
            out.chroma[steps, (pc - tonic) % 12] = True
        bass_pc = chord.bass if chord.bass is not None else chord.root
        out.bass[steps] = (bass_pc - tonic) % 12
        # The bass restrikes on the chord change and on every downbeat it holds through.
        out.bass_on[steps[0]] = True
        out.bass_on[steps[steps % STEPS_PER_BAR == 0]] = True
    return out


def densify(c: CompactRoll) -> np.ndarray:
    """:class:`CompactRoll` -> (n, 74) float32 roll in {-1, 1}."""
    n = len(c)
    roll = np.full((n, LAYOUT.channels), -1.0, dtype=np.float32)
    rows = np.nonzero(c.mel >= 0)[0]
    roll[rows, LAYOUT.mel.start + c.mel[rows].astype(np.int64)] = 1.0
    roll[c.mel_on, LAYOUT.mel_onset] = 1.0
    roll[:, LAYOUT.harm][c.chroma] = 1.0  # basic slice = a view: writes into roll
    rows = np.nonzero(c.bass >= 0)[0]
    roll[rows, LAYOUT.bass.start + c.bass[rows].astype(np.int64)] = 1.0
    roll[c.bass_on, LAYOUT.bass_onset] = 1.0
    return roll
