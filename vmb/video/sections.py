"""Bar-aligned sections of the music, labelled from a video's intensity curve.

Bars (``beats_per_bar`` beats each, from beat 0) are grouped into phrases of 4 bars (2 when the
piece has fewer than 12 bars, 1 when fewer than 5; a last phrase shorter than half a phrase
joins the one before). Each phrase's energy is the mean intensity over its time span, and its
relative energy ``r`` is rescaled to 0..1 over the piece (all 0.5 when the spread is under
0.08). Labels: "intro" and "outro" for the first and last phrase (with >= 3 phrases),
"climax" for middle phrases with r >= 0.75 (and the most intense middle phrase when r >= 0.6),
"build" for the phrase before the first climax, else "A" (r < 0.45) or "B". Neighbouring
phrases with the same label merge; a section's energy is 0.5 * mean intensity + 0.5 * r.
"""

from __future__ import annotations

import math

import numpy as np

from vmb.types import Score, Section, VideoTiming


def plan_sections(timing: VideoTiming, plan_times: Score, length_beats: float, beats_per_bar: float) -> list[Section]:
    """Bar-aligned sections labelled from the intensity curve (see the module docstring).

    ``length_beats`` and ``beats_per_bar`` are in ``plan_times``' beats (quarter notes: 3 for a
    bar of 6/8); ``plan_times`` is a Score whose tempo map turns them into seconds.
    """
    n_bars = max(1, math.ceil(length_beats / beats_per_bar - 1e-6))
    times = np.asarray(timing.curve_times_s, np.float64)
    values = np.asarray(timing.intensity, np.float64)
    bar_energy = []
    for k in range(n_bars):
        t0 = plan_times.beat_to_seconds(k * beats_per_bar)
        t1 = plan_times.beat_to_seconds(min(length_beats, (k + 1) * beats_per_bar))
        inside = (times >= t0) & (times <= t1)
        if len(times) == 0:
            bar_energy.append(0.5)
        elif inside.any():
            bar_energy.append(float(values[inside].mean()))
        else:
            bar_energy.append(float(np.interp(0.5 * (t0 + t1), times, values)))
    phrase = 4 if n_bars >= 12 else 2 if n_bars >= 5 else 1
    starts = list(range(0, n_bars, phrase))
    if len(starts) > 1 and length_beats - starts[-1] * beats_per_bar < phrase * beats_per_bar / 2:
        starts.pop()  # a short last phrase joins the one before
    bounds = starts + [n_bars]
    energy = np.array([np.mean(bar_energy[a:b]) for a, b in zip(bounds, bounds[1:])])
    spread = float(energy.max() - energy.min())
    rel = (energy - energy.min()) / spread if spread > 0.08 else np.full(len(energy), 0.5)
    n = len(energy)
    labels = ["A" if r < 0.45 else "B" for r in rel]
    if n >= 3:
        labels[0], labels[-1] = "intro", "outro"
        middle = range(1, n - 1)
        top = max(middle, key=lambda p: rel[p])
        if rel[top] >= 0.6:
            for p in middle:
                if rel[p] >= 0.75 or p == top:
                    labels[p] = "climax"
            first = min(p for p in middle if labels[p] == "climax")
            if first - 1 >= 1 and labels[first - 1] != "climax":
                labels[first - 1] = "build"
    elif n == 2:
        labels[-1] = "outro"
    sections: list[Section] = []
    for p, label in enumerate(labels):
        start = float(bounds[p] * beats_per_bar)
        end = float(min(length_beats, bounds[p + 1] * beats_per_bar))
        level = round(float(0.5 * energy[p] + 0.5 * rel[p]), 3)
        if sections and sections[-1].name == label:
            prev = sections[-1]
            span = (prev.end - prev.start) + (end - start)
            prev.energy = round((prev.energy * (prev.end - prev.start) + level * (end - start)) / max(span, 1e-9), 3)
            prev.end = end
        else:
            sections.append(Section(label, start, end, level))
    return sections
