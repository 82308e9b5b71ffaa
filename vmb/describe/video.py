"""Describe the music for a video from frames sampled over it (source="video").

Another stage decodes the video; this module receives small RGB ``uint8`` frames of shape
(H, W, 3) with their times in seconds, plus the :class:`~vmb.types.VideoTiming` (duration, cut
times, motion and intensity curves, each 0..1). Per-frame features are aggregated with medians
(robust to a few odd frames); the pacing (cuts per minute, motion energy, the intensity trend)
adds the arousal and tempo evidence a still image lacks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from vmb import VmbError
from vmb.types import JsonMixin, MusicDescription, VideoTiming

from .affect import Pacing
from .image import as_rgb_array, describe_features
from .shots import ShotContent, analyze_shots, merge_cues, shots_reason
from .visual import ImageFeatures, image_features

FACE_FRAMES = 6  # faces are searched on this many evenly spaced frames (the detector is the slow part)
STRIP_FRAMES = 6  # frames in the thumbnail contact sheet


@dataclass
class VideoFeatures(JsonMixin):
    """Aggregated frame features plus pacing. ``summary`` is what an image would give."""

    summary: ImageFeatures
    duration_s: float
    n_frames: int
    frame_times_s: list[float] = field(default_factory=list)
    brightness_curve: list[float] = field(default_factory=list)  # per sampled frame, 0..1
    colour_change: float = 0.0  # mean hue-histogram change between consecutive frames, 0..1
    cuts_s: list[float] = field(default_factory=list)
    cuts_per_min: float = 0.0
    curve_times_s: list[float] = field(default_factory=list)
    motion: list[float] = field(default_factory=list)  # 0..1, from the timing or estimated from frames
    intensity: list[float] = field(default_factory=list)  # 0..1
    motion_mean: float = 0.0
    motion_p90: float = 0.0
    intensity_trend: float = 0.0  # mean of the last third minus the first third, -1..1
    shots: list[ShotContent] = field(default_factory=list)  # what each shot's keyframe shows (vision models)

    def to_dict(self):  # the summary drops its thumbnail
        out = JsonMixin.to_dict(self.__class__(**{**self.__dict__, "summary": None}))
        out["summary"] = self.summary.to_dict()
        return out

    def pacing(self) -> Pacing:
        return Pacing(cuts_per_min=self.cuts_per_min, motion=self.motion_mean, intensity_trend=self.intensity_trend)


def _median_features(per_frame: list[ImageFeatures], face_counts: list[tuple]) -> dict:
    """Median of every scalar feature, and of every scene cue, across frames."""
    out: dict = {}
    for name in ("brightness", "saturation", "warmth", "yellowness", "contrast", "colourfulness", "hue_variety",
                 "edge_density", "texture", "axis_lines", "symmetry", "centre_weight", "horizon_strength",
                 "point_lights"):
        out[name] = round(float(np.median([getattr(f, name) for f in per_frame])), 4)
    out["straight_lines"] = int(np.median([f.straight_lines for f in per_frame]))
    horizons = [f.horizon for f in per_frame if f.horizon is not None]
    out["horizon"] = round(float(np.median(horizons)), 4) if len(horizons) * 2 >= len(per_frame) else None
    hist = np.mean([f.hue_histogram for f in per_frame], axis=0)
    out["hue_histogram"] = [round(float(x), 4) for x in hist]
    out["scenes"] = {k: round(float(np.median([f.scenes[k] for f in per_frame])), 4) for k in per_frame[0].scenes}
    known = [c for c in face_counts if c[0] is not None]
    if known:  # a face seen in at least a third of the checked frames counts
        out["faces"] = int(np.median([c[0] for c in known]) + 0.5) if np.mean([c[0] > 0 for c in known]) >= 1 / 3 else 0
        smiles = [c[1] for c in known if c[1] is not None]
        out["smiles"] = min(out["faces"], int(np.median(smiles) + 0.5)) if smiles else None
        out["face_area"] = round(float(np.median([c[2] for c in known])), 4)
    return out


def _contact_sheet(frames: list[np.ndarray], height: int = 96) -> np.ndarray:
    """Up to STRIP_FRAMES evenly spaced frames, ``height`` px tall, in rows of 3 (a thumbnail)."""
    picks = np.linspace(0, len(frames) - 1, min(STRIP_FRAMES, len(frames))).round().astype(int)
    width = max(1, round(frames[picks[0]].shape[1] * height / frames[picks[0]].shape[0]))
    tiles = [cv2.resize(frames[i], (width, height), interpolation=cv2.INTER_AREA) for i in picks]
    per_row = min(3, len(tiles))
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % per_row)
    rows = [np.concatenate(tiles[i:i + per_row], axis=1) for i in range(0, len(tiles), per_row)]
    return np.concatenate(rows, axis=0)


def _frame_motion(frames: list[np.ndarray], times: list[float], cuts: list[float]) -> list[float]:
    """Motion energy 0..1 per frame when the timing has no motion curve.

    Same scale as the video stage's "diff" measure: speed v = mean |grey difference| / 255 per
    second between consecutive frames, energy = 1 - exp(-v / 0.25). A pair across a cut repeats
    the previous value (a cut is not motion).
    """
    grays = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (64, 48), interpolation=cv2.INTER_AREA)
             .astype(np.float32) / 255.0 for f in frames]
    speeds: list[float] = []
    for i in range(1, len(frames)):
        if any(times[i - 1] < c <= times[i] for c in cuts):
            speeds.append(speeds[-1] if speeds else 0.0)
            continue
        speeds.append(float(np.abs(grays[i] - grays[i - 1]).mean()) / max(times[i] - times[i - 1], 1e-3))
    speeds = [speeds[0] if speeds else 0.0] + speeds
    return [round(1.0 - math.exp(-v / 0.25), 4) for v in speeds]


def _check(frames: Sequence[np.ndarray], times_s: Sequence[float], timing: VideoTiming) -> list[np.ndarray]:
    if len(frames) == 0:
        raise VmbError("video: no frames to describe (the decoder returned none)")
    if len(frames) != len(times_s):
        raise VmbError(f"video: {len(frames)} frames but {len(times_s)} frame times")
    if not (timing.duration_s > 0 and math.isfinite(timing.duration_s)):
        raise VmbError(f"video: duration must be a positive number of seconds, got {timing.duration_s!r}")
    if any(b < a for a, b in zip(times_s, times_s[1:])):
        raise VmbError("video: frame times must not decrease")
    return [as_rgb_array(np.asarray(f)) for f in frames]


def analyze_video(frames: Sequence[np.ndarray], times_s: Sequence[float], timing: VideoTiming,
                  *, seed: int = 0, vision: bool | None = None) -> VideoFeatures:
    """Aggregate features of frames sampled over a video (each (H, W, 3) uint8) plus its pacing.

    ``vision``: run the vision models on each shot's keyframe (:mod:`.shots`); None (default):
    when installed and ``VMB_VISION`` is not 0.
    """
    from .vision import enabled

    vision = enabled() if vision is None else vision
    rgb = _check(frames, times_s, timing)
    times = [float(t) for t in times_s]
    n = len(rgb)
    face_at = set(np.linspace(0, n - 1, min(FACE_FRAMES, n)).round().astype(int).tolist())
    per_frame = [image_features(f, seed=seed, faces=i in face_at, palette=False) for i, f in enumerate(rgb)]
    face_counts = [(f.faces, f.smiles, f.face_area) for i, f in enumerate(per_frame) if i in face_at]

    # The palette of the whole video: k-means over a mosaic of frames.
    strip = _contact_sheet(rgb)
    mosaic = image_features(strip, seed=seed, faces=False)
    summary = ImageFeatures(width=int(timing.width or rgb[0].shape[1]), height=int(timing.height or rgb[0].shape[0]),
                            dominant_hues=mosaic.dominant_hues, palette=mosaic.palette,
                            palette_weights=mosaic.palette_weights, thumbnail=strip,
                            **_median_features(per_frame, face_counts))

    cuts = sorted(float(c) for c in timing.cuts_s if 0.0 < c < timing.duration_s)
    shots = analyze_shots(rgb, times, per_frame, float(timing.duration_s), cuts, seed=seed) if vision else []
    summary.vision = merge_cues(shots)
    if summary.vision is not None and "faces" in summary.vision.ran:
        summary.faces = summary.vision.n_faces
        summary.smiles = sum(f.expression == "happy" for f in summary.vision.faces)
    if timing.motion:
        curve_t, motion = list(timing.curve_times_s), [float(m) for m in timing.motion]
    else:
        curve_t, motion = times, _frame_motion(rgb, times, cuts)
    intensity = [float(x) for x in timing.intensity] if timing.intensity else list(motion)
    thirds = max(1, len(intensity) // 3)
    trend = float(np.mean(intensity[-thirds:]) - np.mean(intensity[:thirds])) if len(intensity) >= 3 else 0.0
    hists = np.array([f.hue_histogram for f in per_frame])
    change = float(np.abs(np.diff(hists, axis=0)).sum(1).mean() / 2.0) if n > 1 else 0.0
    return VideoFeatures(
        summary=summary, duration_s=float(timing.duration_s), n_frames=n, frame_times_s=times,
        brightness_curve=[f.brightness for f in per_frame], colour_change=round(change, 4), cuts_s=cuts,
        cuts_per_min=round(len(cuts) * 60.0 / timing.duration_s, 3), curve_times_s=curve_t, motion=motion,
        intensity=intensity, motion_mean=round(float(np.mean(motion)), 4) if motion else 0.0,
        motion_p90=round(float(np.percentile(motion, 90)), 4) if motion else 0.0,
        intensity_trend=round(max(-1.0, min(1.0, trend)), 4), shots=shots,
    )


def describe_video(frames: Sequence[np.ndarray], times_s: Sequence[float], timing: VideoTiming,
                   *, seed: int = 0, features: VideoFeatures | None = None) -> MusicDescription:
    """Describe the music for a video; pass ``features`` from :func:`analyze_video` to skip re-analysis."""
    if features is None:
        features = analyze_video(frames, times_s, timing, seed=seed)
    description = describe_features(features.summary, seed=seed, source="video", pacing=features.pacing())
    line = shots_reason(features.shots)
    if line:
        description.reasoning.append(line)
    return description
