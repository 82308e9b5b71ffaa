"""Seamless loops: whole bars at a nudged tempo, the tail wrapped onto the start.

A loop is composed one bar longer than it plays, so its cadence and the drummer's fill fall
just before the loop point and lead back into bar 1; :func:`cut_for_loop` drops the extra bar
and :func:`wrap_tail` folds what rings past the loop point onto the start, so the file played
on repeat has no gap and no click.
"""

from __future__ import annotations

import warnings

import numpy as np

from vmb import VmbError
from vmb.theory import bar_beats, quarter_notes_per_pulse
from vmb.types import Attributes, Score, Section, TempoChange
from vmb.vocab import MAX_BPM, MIN_BPM

LOOP_TAIL_S = 3.0  # rendered past the loop point: releases and reverb, wrapped onto the start


def loop_plan(duration_s: float, quarter_bpm: float, meter: str, attrs: Attributes):
    """A whole number of bars that fills ``duration_s`` at a tempo nudged to fit.

    The composer is asked for one bar more than the loop, so its cadence (V7 in the last
    body bar) and the drummer's fill fall just before the loop point and lead back into bar 1;
    the closing bar itself is cut away. Returns (loop_beats, tempo_map, length_beats, sections).
    """
    bar = bar_beats(meter)
    bars = max(2, round(duration_s * quarter_bpm / 60.0 / bar))
    loop_beats = bars * bar
    bpm = loop_beats * 60.0 / duration_s
    pulse = quarter_notes_per_pulse(meter)
    if not (MIN_BPM <= bpm / pulse <= MAX_BPM):
        raise VmbError(f"a {duration_s:g} s loop cannot hold whole bars at a usable tempo; choose another length")
    if abs(bpm / quarter_bpm - 1.0) > 0.03:
        exact = bars * bar * 60.0 / quarter_bpm
        warnings.warn(
            f"a {duration_s:g} s loop holds {bars} whole bars at {bpm / pulse:.1f} BPM instead of "
            f"{quarter_bpm / pulse:g}; a {exact:.2f} s loop would keep {quarter_bpm / pulse:g} BPM"
        )
    energy = attrs.energy if attrs.energy is not None else 0.6
    sections = [Section("A", 0.0, loop_beats, energy), Section("ending", loop_beats, loop_beats + bar, energy)]
    return loop_beats, [TempoChange(0.0, bpm)], loop_beats + bar, sections


def loop_from_plan(length_beats: float, sections: list[Section] | None, meter: str):
    """A loop over a planned tempo map (a video's) that already ends on a bar line.

    As in :func:`loop_plan`, one bar more is composed and cut away; a loop has no intro or
    outro, so those sections play as plain phrases. Returns (loop_beats, length_beats, sections).
    """
    bar = bar_beats(meter)
    loop_beats = float(round(length_beats))
    if abs(loop_beats - length_beats) > 1e-6 or round(loop_beats) % round(bar) or loop_beats < bar:
        raise VmbError(f"a loop needs whole bars; the planned music is {length_beats:g} beats in {meter} "
                       f"({length_beats / bar:g} bars)")
    plain = {"intro": "A", "outro": "A"}
    sections = [Section(plain.get(s.name, s.name), s.start, s.end, s.energy) for s in (sections or [])]
    energy = sections[-1].energy if sections else 0.6
    if not sections:
        sections = [Section("A", 0.0, loop_beats, energy)]
    sections.append(Section("ending", loop_beats, loop_beats + bar, energy))
    return loop_beats, loop_beats + bar, sections


def cut_for_loop(score: Score, loop_beats: float) -> Score:
    """Drop what starts at or after the loop point; notes still sounding there are cut to it."""
    for track in score.tracks:
        kept = []
        for n in track.notes:
            if n.start < loop_beats - 1e-6:
                n.duration = min(n.duration, loop_beats - n.start)
                kept.append(n)
        track.notes = kept
    score.sections = [s for s in score.sections if s.start < loop_beats - 1e-6]
    score.length_beats = loop_beats
    score.ending_beat = None  # a loop has no ending: its last bar leads back into its first
    return score


def wrap_tail(audio: np.ndarray, loop_samples: int) -> np.ndarray:
    """Fold what rings past the loop point back onto its start: on repeat the tail continues."""
    out = audio[:loop_samples].copy()
    tail = audio[loop_samples:]
    n = min(len(tail), loop_samples)
    out[:n] += tail[:n]
    return out
