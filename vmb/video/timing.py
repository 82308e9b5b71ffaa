"""One decoding pass over a video -> :class:`vmb.types.VideoTiming` (cuts, motion, intensity).

Every frame is scaled to 64 px for cut detection (frame-exact cut times); about ``sample_fps``
frames a second are also scaled to 160 px for motion and brightness. Nothing else is kept, so
memory stays flat for long videos.

The curves are sampled on a regular grid of ``curve_hz`` points a second from t = 0 to the end:

- ``motion``: motion energy 0..1 (see :mod:`vmb.video.motion`);
- ``intensity`` = Gaussian-smoothed (sigma 1 s) blend, clipped to 0..1, of
  0.55 * motion + 0.30 * cut density + 0.15 * brightness change, where
  cut density = 1 - exp(-r / 0.5), r = strength-weighted cuts per second (Gaussian window,
  sigma 1.5 s), and brightness change = 1 - exp(-|dY/dt| / 0.3), Y = mean luma 0..1.
  Every term is on an absolute scale, so a calm video stays low and a frantic one high.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.types import VideoTiming
from vmb.video.cuts import FEATURE_SIDE, CutScorer, pick_cuts
from vmb.video.motion import MOTION_SIDE, MotionMeter, gaussian_smooth
from vmb.video.read import MAX_DURATION_S, decoded_frames, probe_video, to_small_rgb

CURVE_HZ = 4.0


def _cut_density(times_s: np.ndarray, cuts_s: Sequence[float], strengths: Sequence[float]) -> np.ndarray:
    sigma = 1.5
    rate = np.zeros(len(times_s))
    for c, w in zip(cuts_s, strengths):
        rate += w * np.exp(-0.5 * ((times_s - c) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return 1.0 - np.exp(-rate / 0.5)


def _brightness_change(sample_t: list[float], luma: list[float], times_s: np.ndarray) -> np.ndarray:
    if len(sample_t) < 2:
        return np.zeros(len(times_s))
    t = np.asarray(sample_t)
    rate = np.abs(np.diff(luma)) / np.maximum(np.diff(t), 1e-3)
    values = np.interp(times_s, 0.5 * (t[1:] + t[:-1]), rate)
    return 1.0 - np.exp(-values / 0.3)


def check_markers(markers_s: Sequence[float], duration_s: float, path: str | Path) -> list[float]:
    """Sorted, de-duplicated markers; a marker outside the video is a VmbError."""
    out = []
    for m in markers_s:
        m = float(m)
        if not math.isfinite(m) or m < 0 or m > duration_s:
            raise VmbError(f"{path}: marker {m:g} s is outside the video (0 to {duration_s:.2f} s)")
        out.append(m)
    return sorted(set(round(m, 6) for m in out))


def analyze_timing(
    path: str | Path,
    *,
    markers_s: Sequence[float] = (),
    sample_fps: float = 8.0,
    max_duration_s: float = MAX_DURATION_S,
    motion_method: str = "flow",
    curve_hz: float = CURVE_HZ,
    progress: Callable[[float], None] | None = None,
    on_frame: Callable[[float, np.ndarray], None] | None = None,
) -> VideoTiming:
    """Cuts, motion and intensity of a video (see the module docstring for the definitions).

    ``markers_s`` are user sync points (seconds) that the beat map must hit; ``progress`` is
    called with the fraction of the video decoded so far (0..1), about once a second of video;
    ``on_frame(time_s, rgb)`` receives every sampled frame (``sample_fps``, longer side 160 px,
    RGB uint8 as displayed), so a caller can describe the video without decoding it again.
    Raises VmbError for unreadable videos, videos beyond the limits and markers outside the video.
    """
    info = probe_video(path, max_duration_s=max_duration_s)
    markers = check_markers(markers_s, info.duration_s, path)
    scorer = CutScorer()
    meter = MotionMeter(motion_method)
    step = 1.0 / sample_fps
    next_sample, next_report, last_t, period = 0.0, 1.0, 0.0, 1.0 / (info.fps or 25.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for t, frame, rotation in decoded_frames(path, max_duration_s=max_duration_s):
            if t + 1e-6 >= next_sample:
                medium = to_small_rgb(frame, rotation, MOTION_SIDE)
                meter.add(t, medium)
                if on_frame is not None:
                    on_frame(t, medium)
                next_sample = step * (math.floor(t / step + 1e-6) + 1)
            scorer.add(t, to_small_rgb(frame, rotation, FEATURE_SIDE))
            last_t = t
            if progress is not None and t >= next_report:
                progress(min(1.0, t / info.duration_s))
                next_report = t + 1.0
    for w in caught:  # re-emit the reader's warnings (corrupt packets, truncation) to our caller
        warnings.warn(str(w.message), w.category, stacklevel=2)
    duration = info.duration_s
    if last_t + period < duration - 1.0:  # truncated: the music follows what actually plays
        duration = last_t + period
        markers = [m for m in markers if m <= duration]

    cuts = pick_cuts(scorer.signal())
    cuts = [c for c in cuts if 0.0 < c.time_s < duration]
    cuts_s = [round(c.time_s, 6) for c in cuts]
    strengths = [round(c.strength, 4) for c in cuts]
    grid = np.arange(0.0, duration + 1e-9, 1.0 / curve_hz)
    motion = meter.curve(grid, cuts_s=cuts_s)
    blend = (
        0.55 * motion
        + 0.30 * _cut_density(grid, cuts_s, strengths)
        + 0.15 * _brightness_change(meter.brightness_t, meter.brightness, grid)
    )
    intensity = np.clip(gaussian_smooth(blend, 1.0 / curve_hz, 1.0), 0.0, 1.0)
    if progress is not None:
        progress(1.0)
    return VideoTiming(
        duration_s=round(duration, 6),
        fps=round(info.fps, 4),
        width=info.width,
        height=info.height,
        has_audio=info.has_audio,
        cuts_s=cuts_s,
        cut_strengths=strengths,
        curve_times_s=[round(float(x), 4) for x in grid],
        motion=[round(float(x), 4) for x in motion],
        intensity=[round(float(x), 4) for x in intensity],
        markers_s=markers,
    )

