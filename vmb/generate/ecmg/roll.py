"""The piano-roll codec: lead sheets <-> the multi-track rolls the DiT denoises.

:class:`PianoRoll` is the :class:`Representation` ECMG is trained on (``pianoroll-v1``; the grid
and channels are in :mod:`vmb.generate.ecmg.layout`). Values are in [-1, 1] so the same arrays
are diffusion targets; :meth:`PianoRoll.decode` reads noisy model output back by argmax /
threshold at 0, and :func:`melody_runs` is how every reader of a roll finds its melody notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vmb.generate.ecmg.chords import match_chord
from vmb.generate.ecmg.compact import densify, encode_compact
from vmb.generate.ecmg.layout import (
    LAYOUT,
    MELODY_LOW,
    STEPS_PER_BAR,
    STEPS_PER_BEAT,
    bar_steps,
    pulse_steps,
    step_mask,
    step_to_beat,
)
from vmb.theory import bar_beats
from vmb.types import Chord, LeadSheet, Note, Section
from vmb.vocab import KEY_NAMES, key_pitch_class


class Representation(Protocol):
    """A music representation the model is trained on: lead sheets in and out of arrays of
    ``channels`` columns, ``steps_per_beat`` rows a beat. Its ``name`` is stored in every
    checkpoint and checked on load, so an audio-latent variant can replace :class:`PianoRoll`
    without touching the model or the sampler."""

    name: str
    channels: int
    steps_per_beat: int

    def encode(self, sheet: LeadSheet, n_bars: int | None = None) -> np.ndarray: ...

    def decode(self, roll: np.ndarray, *, key: str = "C", mode: str = "major", meter: str = "4/4",
               sections: list[Section] | None = None, length_beats: float | None = None, title: str = "",
               source: str = "vmb:ecmg") -> LeadSheet: ...


@dataclass
class PianoRoll:
    """The piano-roll representation (stateless; an instance so it can be swapped)."""

    name: str = "pianoroll-v1"
    channels: int = LAYOUT.channels
    steps_per_beat: int = STEPS_PER_BEAT

    # ------------------------------------------------------------------ encode

    def encode(self, sheet: LeadSheet, n_bars: int | None = None) -> np.ndarray:
        """A lead sheet -> (n_bars * 16, 74) float32 roll in {-1, 1}, in key-relative space.

        ``n_bars`` defaults to the sheet's length (``length_beats``, else its last note/chord).
        Padding rows of short meters stay -1 (silence).
        """
        return densify(encode_compact(sheet, n_bars))

    # ------------------------------------------------------------------ decode

    def decode(
        self,
        roll: np.ndarray,
        *,
        key: str = "C",
        mode: str = "major",
        meter: str = "4/4",
        sections: list[Section] | None = None,
        length_beats: float | None = None,
        title: str = "",
        source: str = "vmb:ecmg",
    ) -> LeadSheet:
        """A (n_steps, 74) roll (any real values; 0 is the on/off threshold) -> LeadSheet.

        Melody: a note sounds where the best pitch channel is > 0; a new note starts on an
        onset, a pitch change, or after silence. Chords: one per beat, named by matching the
        beat's mean chroma against chord templates, merged when equal; the bass channel gives
        slash chords.
        """
        roll = np.asarray(roll, dtype=np.float32)
        tonic = key_pitch_class(key)
        n_bars = math.ceil(roll.shape[0] / STEPS_PER_BAR)
        mask = step_mask(meter, n_bars)[: roll.shape[0]]
        length = length_beats if length_beats is not None else n_bars * bar_beats(meter)
        melody = self._decode_melody(roll, mask, tonic, meter, length)
        chords = self._decode_chords(roll, mask, tonic, meter, length)
        return LeadSheet(
            melody=melody, chords=chords, sections=list(sections or []), key=KEY_NAMES[tonic],
            mode=mode, meter=meter, length_beats=float(length), title=title, source=source,
        )

    @staticmethod
    def _decode_melody(roll, mask, tonic, meter, length) -> list[Note]:
        notes = [_note([idx, a, b], tonic, meter) for idx, a, b in melody_runs(roll, mask)]
        return [n for n in notes if n.start < length - 1e-9]

    @staticmethod
    def _decode_chords(roll, mask, tonic, meter, length) -> list[Chord]:
        chords: list[Chord] = []
        harm = (roll[:, LAYOUT.harm] + 1.0) / 2.0  # [-1, 1] -> [0, 1] evidence per pitch class
        bass = roll[:, LAYOUT.bass]
        unit = pulse_steps(meter)  # chords change per counted pulse (a dotted quarter in 6/8)
        per_bar = bar_steps(meter)
        for first in range(0, roll.shape[0], STEPS_PER_BAR):
            for u in range(0, per_bar, unit):
                a = first + u
                beat = step_to_beat(a, meter)
                if beat >= length - 1e-9:
                    break
                rows = list(range(a, min(a + unit, first + per_bar, roll.shape[0])))
                end = min(length, beat + len(rows) / STEPS_PER_BEAT)
                PianoRoll._add_chord(chords, harm, bass, rows, beat, end, tonic)
        if chords and chords[0].start > 0:
            chords[0].duration += chords[0].start
            chords[0].start = 0.0
        return chords

    @staticmethod
    def _add_chord(chords: list[Chord], harm, bass, rows, beat: float, end: float, tonic: int) -> None:
        """Name the chord of ``rows`` and append it (or extend the previous equal one)."""
        if not rows or harm[rows].max() <= 0.5:
            if chords:  # no chord sounding: the previous one rings on
                chords[-1].duration = end - chords[-1].start
            return
        chroma = harm[rows].mean(axis=0)
        bass_rel = int(bass[rows].mean(axis=0).argmax())
        root_rel, quality = match_chord(chroma, bass_rel)
        root = (root_rel + tonic) % 12
        bass_pc = (bass_rel + tonic) % 12
        slash = bass_pc if bass_pc != root and bass[rows].max() > 0 else None
        prev = chords[-1] if chords else None
        if prev and (prev.root, prev.quality, prev.bass) == (root, quality, slash):
            prev.duration = end - prev.start
        else:
            chords.append(Chord(start=float(beat), duration=end - beat, root=root, quality=quality, bass=slash))


# A pitch change without an onset flag starts a new note only when both pitches last at least
# this many steps (a beat): sampled rolls flicker between neighbouring pitches for an 8th inside a held
# note, and reading each flicker as a note inflated the melody's density by ~30%.
MIN_UNFLAGGED_RUN = 4


def melody_runs(roll: np.ndarray, mask: np.ndarray) -> list[tuple[int, int, int]]:
    """Melody notes of a (n, 74) roll as (pitch index, first step, last step), steps of ``mask``.

    A note sounds where the best pitch channel is > 0. Notes start after silence, on an
    onset flag, or on a lasting pitch change (see ``MIN_UNFLAGGED_RUN``); each note takes the
    pitch with the most summed evidence over its steps. Padding rows never end a note.
    """
    mel = roll[:, LAYOUT.mel]
    real = np.nonzero(mask)[0]
    active = mel[real].max(axis=1) > 0
    pitch = mel[real].argmax(axis=1)
    onset = roll[real, LAYOUT.mel_onset] > 0
    # runs of one pitch among the sounding steps (breaks at silence too)
    starts = [i for i in range(len(real)) if active[i] and (i == 0 or not active[i - 1] or pitch[i] != pitch[i - 1])]
    run_len = {a: next((j for j in range(a, len(real)) if not active[j] or pitch[j] != pitch[a]), len(real)) - a
               for a in starts}
    notes: list[list[int]] = []  # [first i, last i]
    prev_start = None
    for i in range(len(real)):
        if not active[i]:
            prev_start = None
            continue
        new_pitch = i in run_len
        lasting = new_pitch and run_len[i] >= MIN_UNFLAGGED_RUN and prev_start is not None \
            and run_len.get(prev_start, 0) >= MIN_UNFLAGGED_RUN
        if prev_start is None or onset[i] or lasting:
            notes.append([i, i])
        else:
            notes[-1][1] = i
        if new_pitch:
            prev_start = i
    out = []
    for a, b in notes:
        idx = int(mel[real[a: b + 1]].sum(axis=0).argmax())
        out.append((idx, int(real[a]), int(real[b])))
    return out


def _note(current: list[int], tonic: int, meter: str) -> Note:
    idx, first, last = current
    start = step_to_beat(first, meter)
    end = step_to_beat(last, meter) + 1.0 / STEPS_PER_BEAT
    return Note(pitch=tonic + MELODY_LOW + idx, start=start, duration=end - start)
