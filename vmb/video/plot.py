"""A picture of a video's timing and the music planned for it (PNG, matplotlib Agg).

One time axis: sections shaded and named along the top, intensity and motion curves, cuts as
red dashed lines (thicker for stronger cuts), markers in purple, beats as thin grey ticks and
downbeats as thick dark ticks in a strip below, and a tempo curve underneath.
"""

from __future__ import annotations

import os
from pathlib import Path

from vmb.render.writers import new_temp_file
from vmb.types import VideoTiming

_SECTION_COLOURS = {
    "intro": "#dbe9f6", "A": "#e8f3e0", "B": "#fdf1d6", "build": "#fde0c5",
    "climax": "#f9c9c9", "outro": "#e4dcf1", "ending": "#e4dcf1",
}


def plot_timing(timing: VideoTiming, plan, path: str | Path, *, title: str | None = None) -> Path:
    """Draw ``timing`` and ``plan`` (a :class:`vmb.video.beatmap.BeatPlan`) to a PNG at ``path``."""
    from matplotlib.figure import Figure  # not pyplot: no global figure registry (server threads)

    path = Path(path)
    duration = timing.duration_s
    fig = Figure(figsize=(max(8.0, min(24.0, 4.0 + duration * 0.25)), 5.2))
    (ax, ax_beats, ax_tempo) = fig.subplots(
        3, 1, sharex=True,
        gridspec_kw={"height_ratios": [4, 0.8, 1.4], "hspace": 0.08},
    )
    for sec in plan.sections:
        t0, t1 = plan.beat_to_seconds(sec.start), min(duration, plan.beat_to_seconds(sec.end))
        colour = _SECTION_COLOURS.get(sec.name, "#eeeeee")
        for a in (ax, ax_beats, ax_tempo):
            a.axvspan(t0, t1, color=colour, zorder=0, lw=0)
        ax.text(0.5 * (t0 + t1), 1.07, sec.name, ha="center", va="bottom", fontsize=9)
        ax.axvline(t0, color="#888888", lw=0.6, zorder=1)

    ax.plot(timing.curve_times_s, timing.intensity, color="#1f4e9c", lw=2.0, label="intensity", zorder=3)
    ax.plot(timing.curve_times_s, timing.motion, color="#3aa655", lw=1.2, label="motion", zorder=3)
    strengths = list(timing.cut_strengths) or [1.0] * len(timing.cuts_s)
    for i, (cut, s) in enumerate(zip(timing.cuts_s, strengths)):
        ax.axvline(cut, color="#d62728", ls="--", lw=0.6 + 1.6 * s, zorder=2, label="cut" if i == 0 else None)
    for i, m in enumerate(timing.markers_s):
        ax.axvline(m, color="#8e44ad", lw=2.2, zorder=2, label="marker" if i == 0 else None)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("0..1")
    ax.legend(loc="upper left", fontsize=8, ncol=4, framealpha=0.85)
    ax.set_title(title or f"video timing and beat plan  ({plan.base_bpm:g} BPM base, "
                 f"{plan.sync.within_50ms:.0%} of cuts and markers within 50 ms of a beat)", fontsize=10, pad=22)

    downbeats = set(round(d, 6) for d in plan.downbeats_s)
    for b in plan.beats_s:
        is_down = round(b, 6) in downbeats
        ax_beats.plot([b, b], [0, 1 if is_down else 0.55], color="#222222" if is_down else "#888888",
                      lw=2.0 if is_down else 0.7)
    for cut in timing.cuts_s:
        ax_beats.plot([cut], [1.15], marker="v", color="#d62728", ms=4)
    ax_beats.set_ylim(0, 1.35)
    ax_beats.set_yticks([])
    ax_beats.set_ylabel("beats", rotation=0, ha="right", va="center", fontsize=8)

    times, bpms = [], []
    for k, change in enumerate(plan.tempo_map):
        t0 = plan.beat_to_seconds(change.beat)
        t1 = plan.beat_to_seconds(plan.tempo_map[k + 1].beat) if k + 1 < len(plan.tempo_map) else duration
        times += [t0, t1]
        bpms += [change.bpm / plan.quarters_per_beat] * 2  # counted beats, like base_bpm
    ax_tempo.plot(times, bpms, color="#444444", lw=1.4)
    pad = max(2.0, 0.1 * (max(bpms) - min(bpms)))
    ax_tempo.set_ylim(min(bpms) - pad, max(bpms) + pad)
    ax_tempo.set_ylabel("BPM", fontsize=8)
    ax_tempo.set_xlabel("time (s)")
    ax_tempo.set_xlim(0, duration)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_temp_file(path, ".png")
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
