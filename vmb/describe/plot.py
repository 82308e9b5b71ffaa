"""A one-page PNG of the visual analysis: picture, palette, scene cues, features, circumplex.

For a video it adds the motion / intensity curves with the cuts as vertical lines. Uses
matplotlib's object API (no pyplot global state) and writes through a temporary file, so a
failed plot never leaves a half-written PNG.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from vmb import VmbError, vocab

from .affect import read_features
from .video import VideoFeatures
from .visual import ImageFeatures


def _swatches(ax, f: ImageFeatures) -> None:
    from matplotlib.patches import Rectangle

    x = 0.0
    for colour, weight in zip(f.palette, f.palette_weights):
        ax.add_patch(Rectangle((x, 0), weight, 1, color=colour))
        lum = sum(int(colour[i:i + 2], 16) for i in (1, 3, 5)) / 765
        if weight > 0.07:
            ax.text(x + weight / 2, 0.5, f"{colour}\n{weight:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if lum < 0.5 else "black")
        x += weight
    ax.set_xlim(0, max(x, 1e-6))
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    ax.set_title("palette (k-means, CIELAB)", fontsize=9, loc="left")


def _bars(ax, names: list[str], values: list[float], title: str, colour: str) -> None:
    y = np.arange(len(names))[::-1]
    ax.barh(y, values, color=colour, height=0.65)
    for yi, v in zip(y, values):
        ax.text(min(v, 0.98) + 0.02 if v < 0.85 else v - 0.02, yi, f"{v:.2f}", va="center",
                ha="left" if v < 0.85 else "right", fontsize=7)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _circumplex(ax, valence: float, arousal: float, moods: list[str]) -> None:
    from matplotlib.patches import Circle

    ax.add_patch(Circle((0, 0), 1.0, fill=False, color="0.8", lw=1))
    ax.axhline(0, color="0.85", lw=0.8)
    ax.axvline(0, color="0.85", lw=0.8)
    for mood, (v, a) in vocab.MOODS.items():
        if mood not in moods:
            ax.plot(v, a, "o", ms=2.5, color="0.65")
            ax.text(v, a + 0.03, mood, fontsize=6, ha="center", va="bottom", color="0.55")
    # Chosen moods: numbered dots, named in a box (labels in the crowded corner would overlap).
    for k, mood in enumerate(moods, 1):
        v, a = vocab.MOODS[mood]
        ax.plot(v, a, "o", ms=6, color="tab:blue", zorder=4)
        ax.annotate(str(k), (v, a), xytext=(4, 4), textcoords="offset points", fontsize=9,
                    color="tab:blue", weight="bold", zorder=6)
    ax.text(-1.07, -1.07, "\n".join(f"{k} {m}" for k, m in enumerate(moods, 1)), fontsize=9, color="tab:blue",
            va="bottom", ha="left", weight="bold",
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="tab:blue", lw=0.6))
    ax.plot(valence, arousal, "*", ms=16, color="tab:red", mec="black", mew=0.6, zorder=5)
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_aspect("equal")
    ax.set_xlabel("valence", fontsize=8)
    ax.set_ylabel("arousal", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(f"circumplex: valence {valence:+.2f}, arousal {arousal:+.2f}", fontsize=9, loc="left")


def _curves(ax, v: VideoFeatures) -> None:
    if v.motion:
        ax.plot(v.curve_times_s, v.motion, color="tab:orange", lw=1.4, label="motion")
    if v.intensity and v.intensity != v.motion:
        ax.plot(v.curve_times_s, v.intensity, color="tab:purple", lw=1.2, label="intensity")
    if v.brightness_curve:
        ax.plot(v.frame_times_s, v.brightness_curve, color="0.4", lw=1, ls="--", label="brightness")
    for i, cut in enumerate(v.cuts_s):
        ax.axvline(cut, color="tab:red", lw=0.8, alpha=0.7, label="cut" if i == 0 else None)
    ax.set_xlim(0, v.duration_s)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("time (s)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper right", ncol=4, frameon=False)
    ax.set_title(f"pacing: {len(v.cuts_s)} cuts ({v.cuts_per_min:.1f}/min), mean motion {v.motion_mean:.2f}",
                 fontsize=9, loc="left")


def _seen_bars(f: ImageFeatures) -> list[tuple[str, float]]:
    """(label, 0..1) for the concepts, faces and text the vision models saw."""
    v = f.vision
    if v is None or not v.ran:
        return []
    out = [(f"{c.phrase} ({c.top_class})"[:34], c.score) for c in v.concepts]
    out += [(f"face {i + 1}: {face.expression}", face.confidence)
            for i, face in enumerate(v.faces[:4]) if face.expression]
    if v.text:
        out.append((f"text '{v.text[:24]}'", v.text_score))
    return out


def plot_analysis(features: ImageFeatures | VideoFeatures, path: str | os.PathLike) -> Path:
    """Save the analysis of an image (:class:`ImageFeatures`) or video (:class:`VideoFeatures`) as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported here: matplotlib is slow to load
    from matplotlib.figure import Figure

    video = features if isinstance(features, VideoFeatures) else None
    f = video.summary if video else features
    if not isinstance(f, ImageFeatures):
        raise VmbError(f"plot: expected image or video features, got {type(features).__name__}")
    reading = read_features(f, video.pacing() if video else None)  # the same reading the description has
    a = reading.attributes

    fig = Figure(figsize=(15, 9.4 if video else 7), dpi=100)
    grid = fig.add_gridspec(3 if video else 2, 3, height_ratios=[3, 1.2, 1.7] if video else [3, 1.2],
                            width_ratios=[1.3, 0.9, 1.5], hspace=0.4, wspace=0.3,
                            left=0.03, right=0.98, top=0.9, bottom=0.07)
    ax = fig.add_subplot(grid[0, 0])
    if f.thumbnail is not None:
        ax.imshow(f.thumbnail, interpolation="lanczos")
    ax.set_axis_off()
    label = "video frames" if video else "image"
    ax.set_title(f"{label} ({f.width}x{f.height})", fontsize=9, loc="left")
    _swatches(fig.add_subplot(grid[1, 0]), f)

    scenes = sorted(f.scenes.items(), key=lambda kv: -kv[1])
    seen = _seen_bars(f)
    if seen:  # what the vision models saw, above the colour scene cues
        names = [k for k, _ in seen] + [f"scene: {k}" for k, _ in scenes[:4]]
        _bars(fig.add_subplot(grid[0, 1]), names, [v for _, v in seen] + [v for _, v in scenes[:4]],
              "seen (vision models) and scene cues", "tab:green")
    else:
        _bars(fig.add_subplot(grid[0, 1]), [k for k, _ in scenes], [v for _, v in scenes], "scene cues", "tab:green")
    feats = {"brightness": f.brightness, "saturation": f.saturation, "warmth": (f.warmth + 1) / 2,
             "contrast": f.contrast, "colourfulness": min(1.0, f.colourfulness / 110), "edges x5":
             min(1.0, 5 * f.edge_density), "symmetry": f.symmetry}
    _bars(fig.add_subplot(grid[1, 1]), list(feats), list(feats.values()), "colour and structure", "tab:gray")
    _circumplex(fig.add_subplot(grid[:2, 2]), a.valence or 0.0, a.arousal or 0.0, a.moods)
    if video:
        _curves(fig.add_subplot(grid[2, :]), video)
    faces = "" if f.faces is None else f", faces {f.faces}"
    if f.vision is not None and f.vision.text:
        faces += f" | text: '{f.vision.text[:40]}'"
    fig.suptitle(f"{', '.join(a.moods)} | {a.tempo_class} {a.tempo_bpm:.0f} BPM {a.mode} | "
                 f"{', '.join(a.genres)} | profile: {reading.profile}{faces}", fontsize=11, x=0.02, ha="left")

    out = Path(path)
    if out.parent and not out.parent.exists():
        raise VmbError(f"plot {str(out)!r}: folder {str(out.parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(suffix=".png", prefix=".plot-", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            FigureCanvasAgg(fig).print_png(fh)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out
