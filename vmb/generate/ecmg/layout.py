"""The piano roll's grid: rows of 16th notes, a fixed 16 rows a bar, and its 74 channels.

One row per 16th-note step, ``STEPS_PER_BAR`` = 16 rows per bar whatever the meter; 3/4 and
6/8 bars use 12 rows and 2/4 bars 8, the rest is padding marked by a step mask
(:func:`step_mask`). The model sees 4-bar windows (``SEGMENT_STEPS`` = 64 rows).

=============  =========  =====================================================================
channels       count      meaning (+1 = on, -1 = off)
=============  =========  =====================================================================
melody pitch   48         one-hot pitch while a melody note sounds, relative to the key: index
                          ``pitch - tonic_pc - MELODY_LOW`` (so the model works in scale-degree
                          space and the key is applied when decoding)
melody onset   1          a melody note starts on this step
harmony        12         chroma of the sounding chord, relative to the tonic
bass           12         pitch class of the chord's bass note (root or slash bass), relative
bass onset     1          the bass note starts on this step
=============  =========  =====================================================================

Bar and pulse lengths come from :mod:`vmb.theory`'s meter records; this module only maps them
onto rows.
"""

from __future__ import annotations

import math

import numpy as np

from vmb import theory

STEPS_PER_BEAT = 4  # 16th notes
STEPS_PER_BAR = 16  # fixed row count per bar; shorter meters are padded
BARS_PER_SEGMENT = 4
SEGMENT_STEPS = BARS_PER_SEGMENT * STEPS_PER_BAR  # 64
MELODY_PITCHES = 48
MELODY_LOW = 43  # window = tonic_pc + 43 .. tonic_pc + 90 (G2..F#6 in C); octave-folded outside


class LAYOUT:
    """Channel offsets of the roll (see the module table)."""

    mel = slice(0, 48)
    mel_onset = 48
    harm = slice(49, 61)
    bass = slice(61, 73)
    bass_onset = 73
    channels = 74


def bar_steps(meter: str) -> int:
    """Real 16th steps in one bar of ``meter`` ('4/4' -> 16, '3/4' and '6/8' -> 12, '2/4' -> 8)."""
    steps = round(theory.bar_beats(meter) * STEPS_PER_BEAT)
    if not 1 <= steps <= STEPS_PER_BAR:
        raise ValueError(f"meter {meter!r} does not fit {STEPS_PER_BAR} steps per bar")
    return steps


def step_mask(meter: str, n_bars: int) -> np.ndarray:
    """(n_bars * 16,) bool: True on the steps a bar of ``meter`` really has."""
    one = np.arange(STEPS_PER_BAR) < bar_steps(meter)
    return np.tile(one, n_bars)


def beat_to_step(beat: float, meter: str) -> int:
    """Musical time (beats) -> padded row index (rounded to the nearest 16th)."""
    per_bar = theory.bar_beats(meter)
    bar = math.floor(beat / per_bar + 1e-9)
    within = round((beat - bar * per_bar) * STEPS_PER_BEAT)
    if within >= bar_steps(meter):  # rounds onto the next bar line
        bar, within = bar + 1, 0
    return bar * STEPS_PER_BAR + within


def step_to_beat(step: int, meter: str) -> float:
    """Padded row index -> musical time (beats)."""
    bar, within = divmod(step, STEPS_PER_BAR)
    return bar * theory.bar_beats(meter) + within / STEPS_PER_BEAT


def pulse_steps(meter: str) -> int:
    """Rows in one counted pulse of ``meter``: 6 (a dotted quarter) in 6/8, else 4 (a quarter)."""
    return round(theory.meter(meter).pulse_beats * STEPS_PER_BEAT)


def melody_index(pitch: int, tonic: int) -> int:
    """The melody channel of ``pitch`` in a key with tonic pitch class ``tonic``, folded by
    octaves into the window."""
    idx = pitch - tonic - MELODY_LOW
    while idx < 0:
        idx += 12
    while idx >= MELODY_PITCHES:
        idx -= 12
    return idx
