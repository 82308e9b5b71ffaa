"""Bar-aligned sections of the music, labelled from a video's intensity curve.

Bars (``beats_per_bar`` beats each, from beat 0) are grouped into phrases of 4 bars (2 when the
piece has fewer than 12 bars, 1 when fewer than 5; a last phrase shorter than half a phrase
joins the one before). Each phrase's energy is the mean intensity over its time span, and its
relative energy ``r`` is rescaled to 0..1 over the piece (all 0.5 when the spread is under
0.08). Labels: "intro" and "outro" for the first and last phrase (with >= 3 phrases),
"climax" for middle phrases with r >= 0.75 (and the most intense middle phrase when r >= 0.6),
"build" for the phrase before the first climax, else "A" (r < 0.45) or "B". Neighbouring
phrases with the same label merge; a section's energy is 0.5 * mean intensity + 0.5 * r.

Where the shots show different things (:func:`content_sections`: a wedding's speech and its
party), the sections follow the content instead: each bar belongs to the shot it overlaps
most, shots that read alike (within :data:`ALIKE` on the valence/arousal plane) share a letter
(A, B, C ... in order of appearance, so the music returns to its A material when the content
does), runs shorter than :data:`MIN_RUN_BARS` join their neighbour, and a section's energy is
0.5 * its mean intensity + 0.5 * its shots' arousal (0..1). A piece of 12 bars or more keeps a
2-bar intro and outro cut from a first and last run of 6 bars or more.
"""

from __future__ import annotations

import math

import numpy as np

from vmb.types import Score, Section, ShotMood, VideoTiming

CONTENT_SPLIT = 0.35  # shots at least this far apart (valence/arousal) make the sections follow content
ALIKE = 0.25  # shots closer than this to a kind's first shot are of that kind
MIN_RUN_BARS = 2


def plan_sections(timing: VideoTiming, plan_times: Score, length_beats: float, beats_per_bar: float) -> list[Section]:
    """Bar-aligned sections labelled from the intensity curve (see the module docstring).

    ``length_beats`` and ``beats_per_bar`` are in ``plan_times``' beats (quarter notes: 3 for a
    bar of 6/8); ``plan_times`` is a Score whose tempo map turns them into seconds.
    """
    n_bars = max(1, math.ceil(length_beats / beats_per_bar - 1e-6))
    bar_energy = _bar_energy(timing, _bar_spans(plan_times, length_beats, beats_per_bar, n_bars))
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


def _bar_spans(plan_times: Score, length_beats: float, beats_per_bar: float, n_bars: int) -> list[tuple[float, float]]:
    """Each bar's (start, end) in seconds."""
    return [(plan_times.beat_to_seconds(k * beats_per_bar),
             plan_times.beat_to_seconds(min(length_beats, (k + 1) * beats_per_bar))) for k in range(n_bars)]


def _bar_energy(timing: VideoTiming, spans: list[tuple[float, float]]) -> list[float]:
    """Mean intensity over each bar's span (interpolated for a bar between two curve points; 0.5 with no curve)."""
    times = np.asarray(timing.curve_times_s, np.float64)
    values = np.asarray(timing.intensity, np.float64)
    out = []
    for t0, t1 in spans:
        inside = (times >= t0) & (times <= t1)
        if len(times) == 0:
            out.append(0.5)
        elif inside.any():
            out.append(float(values[inside].mean()))
        else:
            out.append(float(np.interp(0.5 * (t0 + t1), times, values)))
    return out


def shot_kinds(shots: list[ShotMood]) -> list[int] | None:
    """Each shot's kind (shots that read alike share one), or None when all shots read alike."""
    points = np.array([[s.valence, s.arousal] for s in shots], np.float64)
    if len(points) < 2 or float(np.max(np.linalg.norm(points[:, None] - points[None], axis=2))) < CONTENT_SPLIT:
        return None
    centres: list[np.ndarray] = []
    kinds = []
    for p in points:
        dist = [float(np.linalg.norm(p - c)) for c in centres]
        if dist and min(dist) < ALIKE:
            kinds.append(int(np.argmin(dist)))
        else:
            centres.append(p)
            kinds.append(len(centres) - 1)
    return kinds


def content_sections(timing: VideoTiming, plan_times: Score, length_beats: float, beats_per_bar: float,
                     shots: list[ShotMood]) -> list[Section] | None:
    """Bar-aligned sections that follow what the shots show (see the module docstring), or None when
    the shots read alike or fall into one run (then :func:`plan_sections`' intensity plan stands)."""
    shots = sorted((s for s in shots if s.end_s > s.start_s), key=lambda s: s.start_s)
    kinds = shot_kinds(shots)
    if kinds is None:
        return None
    n_bars = max(1, math.ceil(length_beats / beats_per_bar - 1e-6))
    spans = _bar_spans(plan_times, length_beats, beats_per_bar, n_bars)
    energy = _bar_energy(timing, spans)
    bar_shot = []
    for t0, t1 in spans:
        overlap = [min(t1, s.end_s) - max(t0, s.start_s) for s in shots]
        best = int(np.argmax(overlap))
        if overlap[best] <= 0:  # a bar in a flash or an unanalysed shot: the nearest analysed one
            best = int(np.argmin([abs(0.5 * (t0 + t1) - 0.5 * (s.start_s + s.end_s)) for s in shots]))
        bar_shot.append(best)
    runs: list[list[int]] = []  # [kind, first bar, end bar]
    for k, shot in enumerate(bar_shot):
        if runs and runs[-1][0] == kinds[shot]:
            runs[-1][2] = k + 1
        else:
            runs.append([kinds[shot], k, k + 1])
    while len(runs) > 1 and min(r[2] - r[1] for r in runs) < MIN_RUN_BARS:
        i = next(i for i, r in enumerate(runs) if r[2] - r[1] < MIN_RUN_BARS)
        j = i - 1 if i > 0 else 1  # a short run joins the run before it (the first joins the next)
        runs[j][1], runs[j][2] = min(runs[i][1], runs[j][1]), max(runs[i][2], runs[j][2])
        del runs[i]
        merged: list[list[int]] = []
        for r in runs:
            if merged and merged[-1][0] == r[0]:
                merged[-1][2] = r[2]
            else:
                merged.append(r)
        runs = merged
    if len(runs) < 2:
        return None
    order = list(dict.fromkeys(r[0] for r in runs))
    pieces = []  # (name, first bar, end bar)
    for n, (kind, a, b) in enumerate(runs):
        name = chr(ord("A") + order.index(kind))
        if n == 0 and n_bars >= 12 and b - a >= 6:
            pieces.append(("intro", a, a + 2))
            a += 2
        tail = n == len(runs) - 1 and n_bars >= 12 and b - a >= 6
        pieces.append((name, a, b - 2 if tail else b))
        if tail:
            pieces.append(("outro", b - 2, b))
    sections = []
    for name, a, b in pieces:
        arousal = float(np.mean([shots[bar_shot[k]].arousal for k in range(a, b)]))
        level = 0.5 * float(np.mean(energy[a:b])) + 0.5 * (arousal + 1.0) / 2.0
        sections.append(Section(name, float(a * beats_per_bar), float(min(length_beats, b * beats_per_bar)),
                                round(min(1.0, max(0.0, level)), 3)))
    return sections


def content_reason(sections: list[Section], plan_times: Score, shots: list[ShotMood]) -> str:
    """One reasoning line: each section's time span and what its shots show."""
    parts = []
    for sec in sections:
        t0, t1 = plan_times.beat_to_seconds(sec.start), plan_times.beat_to_seconds(sec.end)
        inside = [s for s in shots if min(t1, s.end_s) - max(t0, s.start_s) > 0]
        lead = max(inside, key=lambda s: min(t1, s.end_s) - max(t0, s.start_s)) if inside else None
        what = (lead.seen or "its colours") if lead is not None else "its colours"
        parts.append(f"{sec.name} {t0:.0f}-{t1:.0f} s ({what}, energy {sec.energy:.2f})")
    return "Sections follow the shots: " + "; ".join(parts) + "."
