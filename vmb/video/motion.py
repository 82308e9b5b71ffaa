"""Motion energy over time from small frames (longer side <= 160 px).

Two measures of how much the picture moves between consecutive sampled frames, both expressed
as a speed in *frame widths per second* (so they do not depend on resolution or sampling rate):

- ``"flow"``: mean magnitude of Farneback dense optical flow (camera and object motion alike);
- ``"diff"``: mean absolute grey-level difference divided by the time step (cheaper, but
  depends on texture contrast as well as on speed).

The speed ``v`` maps to energy ``1 - exp(-v / scale)`` in 0..1 (``scale`` = 0.15 widths/s for
flow, 0.25 grey levels/s for diff), an absolute scale: a still shot stays near 0 and a fast
pan saturates near 1, whatever the rest of the video does. Frame pairs that straddle a cut
are not motion; their values are filled in from neighbouring pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

MOTION_SIDE = 160
_SCALE = {"flow": 0.15, "diff": 0.25}


def _grey(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    if max(h, w) > MOTION_SIDE:
        scale = MOTION_SIDE / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def pair_speed(prev: np.ndarray, cur: np.ndarray, dt: float, method: str = "flow") -> float:
    """Speed between two grey uint8 frames of the same size ``dt`` seconds apart (see module doc)."""
    dt = max(dt, 1e-3)
    width = prev.shape[1]
    if method == "flow":
        flow = cv2.calcOpticalFlowFarneback(prev, cur, None, 0.5, 3, 9, 3, 5, 1.1, 0)
        magnitude = np.sqrt((flow * flow).sum(axis=2))
        return float(magnitude.mean()) / width / dt
    if method == "diff":
        return float(np.abs(cur.astype(np.float32) - prev.astype(np.float32)).mean()) / 255.0 / dt
    raise ValueError(f"unknown motion method {method!r}: 'flow' or 'diff'")


class MotionMeter:
    """Streaming motion measure: :meth:`add` sampled frames in order, then :meth:`curve`."""

    def __init__(self, method: str = "flow") -> None:
        if method not in _SCALE:
            raise ValueError(f"unknown motion method {method!r}: 'flow' or 'diff'")
        self.method = method
        self._prev: tuple[float, np.ndarray] | None = None
        self.pair_start: list[float] = []
        self.pair_end: list[float] = []
        self.speed: list[float] = []
        self.brightness_t: list[float] = []
        self.brightness: list[float] = []

    def add(self, time_s: float, rgb: np.ndarray) -> None:
        grey = _grey(rgb)
        self.brightness_t.append(float(time_s))
        self.brightness.append(float(grey.mean()) / 255.0)
        if self._prev is not None and self._prev[1].shape == grey.shape:
            t0, g0 = self._prev
            self.pair_start.append(t0)
            self.pair_end.append(float(time_s))
            self.speed.append(pair_speed(g0, grey, time_s - t0, self.method))
        self._prev = (float(time_s), grey)

    def curve(self, times_s: np.ndarray, *, cuts_s: Sequence[float] = (), smooth_s: float = 0.5) -> np.ndarray:
        """Motion energy 0..1 at ``times_s``: pairs across a cut dropped, interpolated, smoothed."""
        return energy_curve(
            np.asarray(self.pair_start), np.asarray(self.pair_end), np.asarray(self.speed),
            times_s, cuts_s=cuts_s, smooth_s=smooth_s, scale=_SCALE[self.method],
        )


def gaussian_smooth(values: np.ndarray, step_s: float, sigma_s: float) -> np.ndarray:
    """Gaussian smoothing (sigma in seconds) of a curve sampled every ``step_s`` seconds."""
    if sigma_s <= 0 or len(values) < 2:
        return np.asarray(values, np.float64)
    return gaussian_filter1d(np.asarray(values, np.float64), sigma_s / step_s, mode="nearest")


def energy_curve(
    pair_start: np.ndarray,
    pair_end: np.ndarray,
    speed: np.ndarray,
    times_s: np.ndarray,
    *,
    cuts_s: Sequence[float] = (),
    smooth_s: float = 0.5,
    scale: float = _SCALE["flow"],
) -> np.ndarray:
    """Resample per-pair speeds to ``times_s`` (regular grid) as energy 0..1."""
    times_s = np.asarray(times_s, np.float64)
    if len(speed) == 0 or len(times_s) == 0:
        return np.zeros(len(times_s))
    cuts = np.asarray(sorted(cuts_s), np.float64)
    # A pair straddles a cut when a cut time falls in (start, end].
    straddle = np.searchsorted(cuts, pair_start, side="right") != np.searchsorted(cuts, pair_end, side="right")
    keep = ~straddle
    if not keep.any():
        return np.zeros(len(times_s))
    mid = 0.5 * (pair_start[keep] + pair_end[keep])
    values = np.interp(times_s, mid, speed[keep])
    step = float(np.median(np.diff(times_s))) if len(times_s) > 1 else 1.0
    values = gaussian_smooth(values, step, smooth_s)
    return 1.0 - np.exp(-np.maximum(values, 0.0) / scale)


def motion_curve(
    frames: Iterable[tuple[float, np.ndarray]],
    times_s: np.ndarray,
    *,
    method: str = "flow",
    cuts_s: Sequence[float] = (),
    smooth_s: float = 0.5,
) -> np.ndarray:
    """Motion energy 0..1 at ``times_s`` from sampled ``(time_s, rgb)`` frames (e.g. 4-8 fps)."""
    meter = MotionMeter(method)
    for time_s, rgb in frames:
        meter.add(time_s, rgb)
    return meter.curve(np.asarray(times_s, np.float64), cuts_s=cuts_s, smooth_s=smooth_s)
