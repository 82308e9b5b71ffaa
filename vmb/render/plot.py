"""PNG pictures of a Score (piano roll) and of rendered audio (waveform and loudness).

matplotlib is imported inside the functions, so importing vmb never needs a display or pays
matplotlib's start-up time. Figures are plain ``matplotlib.figure.Figure`` objects drawn by Agg,
never pyplot's: no global figure registry, so server threads can draw at once, and none of
pyplot's interactive-mode bookkeeping, which ran on every artist added (a third of a piano
roll's 0.25 s). Files are written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vmb.types import Score
from vmb.vocab import DRUM_NOTES

from .writers import atomic_path

_DRUM_NAMES = {v: k.replace("_", " ") for k, v in reversed(list(DRUM_NOTES.items()))}
_NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def new_figure(rows: int = 1, **subplots):
    """(figure, axes) as ``pyplot.subplots(rows, 1, **subplots)`` gives, with ``figsize`` taken
    by the figure, on a figure of its own (Agg; nothing to close)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=subplots.pop("figsize", None))
    return fig, fig.subplots(rows, 1, **subplots)


def _save(fig, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return Path(path)


def _bars(starts: np.ndarray, widths: np.ndarray, rows: np.ndarray, height: float, alpha: np.ndarray, colour):
    """One note per rectangle, all in one collection: a thousand notes draw in milliseconds, where
    a patch per note took seconds."""
    from matplotlib.collections import PolyCollection

    x0, x1, y0, y1 = starts, starts + widths, rows - height / 2, rows + height / 2
    boxes = np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x1, y1], 1), np.stack([x0, y1], 1)], 1)
    faces = np.tile(np.array(colour, dtype=float), (len(rows), 1))
    faces[:, 3] = alpha
    return PolyCollection(boxes, facecolors=faces, edgecolors="none")


def plot_score(score: Score, path: str | os.PathLike) -> Path:
    """Piano roll of ``score`` as a PNG: time in seconds, one colour per track, drums in their own
    lane below, section boundaries and names on top, bar lines faint. Returns the path."""
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    pitched = [t for t in score.tracks if not t.is_drum and t.notes]
    drums = [t for t in score.tracks if t.is_drum and t.notes]
    hits = sorted({n.pitch for t in drums for n in t.notes})
    sec = score.beat_to_seconds
    end_beat = max([score.length_beats] + [n.start + n.duration for t in score.tracks for n in t.notes] + [1.0])
    end_s = score.duration_s or sec(end_beat)

    rows = [3, max(1.0, 0.28 * len(hits))] if hits else [3]
    fig, axes = new_figure(len(rows), figsize=(12, 4.2 + rows[-1] * 0.8 * (len(rows) - 1)),
                             sharex=True, gridspec_kw={"height_ratios": rows}, squeeze=False)
    roll, lane = axes[0, 0], (axes[1, 0] if hits else None)
    colours = colormaps["tab10"]
    legend = []
    for i, track in enumerate(score.tracks):
        colour = colours(i % 10)
        if not track.notes:
            continue
        starts = np.array([sec(n.start) for n in track.notes])
        widths = np.array([sec(n.start + n.duration) for n in track.notes]) - starts
        alpha = np.array([0.35 + 0.65 * n.velocity / 127 for n in track.notes])
        if track.is_drum:
            rows_y = np.array([hits.index(n.pitch) for n in track.notes], dtype=float)
            lane.add_collection(_bars(starts, np.maximum(widths, 0.04), rows_y, 0.7, np.full(len(rows_y), 0.8), colour))
        else:
            pitches = np.array([n.pitch for n in track.notes], dtype=float)
            roll.add_collection(_bars(starts, widths, pitches, 0.8, alpha, colour))
        label = track.name + (f" ({track.instrument})" if track.instrument and track.instrument not in track.name else "")
        legend.append(Patch(color=colour, label=label))

    pitches = [n.pitch for t in pitched for n in t.notes] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    roll.set_ylim(low, high)
    ticks = [p for p in range(low, high + 1) if p % 12 == 0] or [low]
    roll.set_yticks(ticks, [f"{_NOTE_NAMES[p % 12]}{p // 12 - 1}" for p in ticks])
    roll.set_ylabel("pitch")
    if lane is not None:
        lane.set_yticks(range(len(hits)), [_DRUM_NAMES.get(p, str(p)) for p in hits], fontsize=8)
        lane.set_ylim(-0.6, len(hits) - 0.4)
        lane.set_ylabel("drums")

    # Bar lines (faint) and section boundaries (labelled) on every lane, each set one collection.
    bar = score.beats_per_bar
    bar_lines = [sec(b) for b in np.arange(0.0, end_beat + 1e-9, bar)]
    boundaries = [sec(s.start) for s in score.sections]
    for ax in axes[:, 0]:
        over = ax.get_xaxis_transform()  # x in seconds, y from the bottom (0) to the top (1) of the lane
        ax.vlines(bar_lines, 0, 1, transform=over, color="0.88", lw=0.6, zorder=0)
        if boundaries:
            ax.vlines(boundaries, 0, 1, transform=over, color="0.3", lw=1.2, linestyles="--", zorder=3)
    for s in score.sections:
        roll.text(sec(s.start), high + 0.3, f" {s.name}", va="bottom", ha="left", fontsize=9, color="0.2")

    axes[-1, 0].set_xlim(0, end_s)
    axes[-1, 0].set_xlabel("time (s)")
    bpm = score.tempo_map[0].bpm
    tempo = f"{bpm:.0f} BPM" + (" (varies)" if len(score.tempo_map) > 1 else "")
    fig.suptitle(f"{score.key} {score.mode}, {score.meter}, {tempo}, {len(score.tracks)} track{'s' if len(score.tracks) != 1 else ''}", fontsize=11)
    if legend:
        roll.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def plot_waveform(audio: np.ndarray, sample_rate: int, path: str | os.PathLike) -> Path:
    """Waveform (min/max envelope per channel) above the momentary loudness (400 ms BS.1770
    blocks, LUFS) with the integrated loudness marked, as a PNG. Returns the path."""
    import pyloudnorm

    x = np.asarray(audio, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    n = x.shape[0]
    fig, (wave_ax, loud_ax) = new_figure(2, figsize=(12, 5), sharex=True,
                                           gridspec_kw={"height_ratios": [2, 1]})
    # Envelope per column: the min and max of ~2000 equal chunks keeps the file fast for long audio.
    cols = max(1, min(2000, n))
    edges = np.linspace(0, n, cols + 1).astype(int)
    t = edges[:-1] / sample_rate
    names = ["left", "right"] if x.shape[1] == 2 else [f"ch {c + 1}" for c in range(x.shape[1])]
    for c in range(x.shape[1]):
        lo = np.minimum.reduceat(x[:, c], edges[:-1]) if n else np.zeros(cols)
        hi = np.maximum.reduceat(x[:, c], edges[:-1]) if n else np.zeros(cols)
        wave_ax.fill_between(t, lo, hi, alpha=0.55, lw=0, label=names[c])
    peak = float(np.max(np.abs(x))) if n else 0.0
    wave_ax.set_ylim(-1.05, 1.05)
    wave_ax.set_ylabel("amplitude")
    peak_text = f"peak {20 * np.log10(peak):.1f} dBFS" if peak > 1e-7 else "silent"
    wave_ax.set_title(f"{n / sample_rate:.2f} s, {sample_rate} Hz, {peak_text}", fontsize=10)
    wave_ax.legend(loc="upper right", fontsize=8, frameon=False)

    if n >= int(0.4 * sample_rate) and peak > 1e-7:
        meter = pyloudnorm.Meter(sample_rate)
        integrated = meter.integrated_loudness(x[:, :5])
        blocks = np.asarray(meter.blockwise_loudness, dtype=float)
        times = 0.2 + 0.1 * np.arange(blocks.size)  # block centres: 400 ms blocks every 100 ms
        loud_ax.plot(times, np.where(np.isfinite(blocks), blocks, np.nan), lw=1.0, color="C3",
                     label="momentary")
        if np.isfinite(integrated):
            loud_ax.axhline(integrated, color="0.3", ls="--", lw=1.0, label=f"integrated {integrated:.1f} LUFS")
        finite = blocks[np.isfinite(blocks)]
        if finite.size:
            loud_ax.set_ylim(max(-60.0, finite.min() - 3), finite.max() + 3)
        loud_ax.legend(loc="lower right", fontsize=8, frameon=False)
    else:
        loud_ax.text(0.5, 0.5, "too short or silent to measure loudness", transform=loud_ax.transAxes,
                     ha="center", va="center", color="0.4")
    loud_ax.set_ylabel("LUFS")
    loud_ax.set_xlabel("time (s)")
    loud_ax.set_xlim(0, max(n / sample_rate, 1e-3))
    fig.tight_layout()
    return _save(fig, path)
