"""The visual describer on videos (frames + timing) and the analysis plot."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vmb import VmbError
from vmb.describe import VideoFeatures, analyze_image, analyze_video, describe_video, plot_analysis
from vmb.types import MusicDescription, VideoTiming


@pytest.fixture(autouse=True)
def colour_only(monkeypatch):
    """These tests check the colour analysis; the vision models have tests/describe/test_vision.py."""
    monkeypatch.setenv("VMB_VISION", "0")

def scene(seed: int, h: int = 90, w: int = 120) -> np.ndarray:
    """A colourful random scene: smooth blobs of saturated colour."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    import cv2

    return cv2.resize(small, (w * 2, h), interpolation=cv2.INTER_CUBIC)


def make_video(*, shot_s: float, pan: float, duration_s: float = 30.0, fps: float = 2.0):
    """Frames cycling through scenes every ``shot_s`` seconds, panning ``pan`` widths per second."""
    frames, times, cuts = [], [], []
    for i in range(int(duration_s * fps)):
        t = i / fps
        shot = int(t // shot_s)
        if shot and int((t - 1 / fps) // shot_s) != shot:
            cuts.append(shot * shot_s)
        wide = scene(shot % 5)
        x = int(pan * (t - shot * shot_s) * 120) % 120
        frames.append(np.ascontiguousarray(wide[:, x:x + 120]))
        times.append(t)
    return frames, times, VideoTiming(duration_s=duration_s, fps=fps, width=120, height=90, cuts_s=cuts)


def test_many_cuts_and_motion_get_a_faster_tempo_than_a_static_shot():
    static = describe_video(*make_video(shot_s=1000.0, pan=0.0))
    busy = describe_video(*make_video(shot_s=2.0, pan=0.3))
    assert busy.attributes.tempo_bpm > static.attributes.tempo_bpm + 15
    assert busy.attributes.arousal > static.attributes.arousal
    assert static.source == busy.source == "video"
    pacing = [line for line in busy.reasoning if line.startswith("Pacing:")]
    assert pacing and "cuts per minute" in pacing[0]
    assert any("single continuous shot" in line for line in static.reasoning)


def test_timing_motion_curve_is_used_when_given():
    frames, times, timing = make_video(shot_s=1000.0, pan=0.0)
    still = analyze_video(frames, times, timing)
    timing.curve_times_s = list(times)
    timing.motion = [0.9] * len(times)
    moving = analyze_video(frames, times, timing)
    assert still.motion_mean < 0.05 and moving.motion_mean == pytest.approx(0.9)
    assert describe_video(frames, times, timing).attributes.tempo_bpm > \
        describe_video(frames, times, VideoTiming(duration_s=30.0)).attributes.tempo_bpm


def test_rising_intensity_is_called_a_build():
    frames, times, timing = make_video(shot_s=5.0, pan=0.1)
    timing.curve_times_s = list(times)
    timing.motion = list(np.linspace(0.1, 0.8, len(times)))
    timing.intensity = list(np.linspace(0.0, 1.0, len(times)))
    features = analyze_video(frames, times, timing)
    assert features.intensity_trend > 0.5
    assert any(line.startswith("Arc:") and "build" in line for line in describe_video(
        frames, times, timing, features=features).reasoning)


def test_video_features_json_round_trip_and_determinism():
    frames, times, timing = make_video(shot_s=3.0, pan=0.2, duration_s=12.0)
    f = analyze_video(frames, times, timing)
    data = json.loads(json.dumps(f.to_dict()))
    assert "thumbnail" not in data["summary"] and data["cuts_per_min"] == pytest.approx(15.0)
    back = VideoFeatures.from_dict(data)
    assert back.summary == f.summary and back.cuts_s == f.cuts_s and back.motion == f.motion
    one, two = describe_video(frames, times, timing, seed=2), describe_video(frames, times, timing, seed=2)
    assert one == two
    assert MusicDescription.from_json(one.to_json()) == one


@pytest.mark.parametrize("frames, times, duration, match", [
    ([], [], 10.0, "no frames"),
    ([np.zeros((8, 8, 3), np.uint8)] * 2, [0.0], 10.0, "2 frames but 1 frame times"),
    ([np.zeros((8, 8, 3), np.uint8)], [0.0], 0.0, "duration"),
    ([np.zeros((8, 8, 3), np.uint8)] * 2, [1.0, 0.5], 10.0, "must not decrease"),
])
def test_bad_video_input_raises(frames, times, duration, match):
    with pytest.raises(VmbError, match=match):
        describe_video(frames, times, VideoTiming(duration_s=duration))


def test_plots_are_written_atomically(tmp_path):
    image_png = plot_analysis(analyze_image(scene(1)), tmp_path / "image.png")
    frames, times, timing = make_video(shot_s=2.0, pan=0.2, duration_s=8.0)
    video_png = plot_analysis(analyze_video(frames, times, timing), tmp_path / "video.png")
    for png in (image_png, video_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.png", "video.png"]  # no temp files left
    with pytest.raises(VmbError, match="does not exist"):
        plot_analysis(analyze_image(scene(1)), tmp_path / "missing" / "x.png")
