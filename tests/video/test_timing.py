"""Cut detection, motion and intensity: frame-exact cuts on synthetic videos with known cuts."""

import numpy as np
import pytest

from tests.fixtures.video import make_video, shot_images
from vmb import VmbError
from vmb.types import VideoTiming
from vmb.video import analyze_timing, detect_cuts, motion_curve
from vmb.video.cuts import CutScorer, pick_cuts


def test_cuts_are_found_to_the_frame(media):
    timing = analyze_timing(media["clip"])
    assert len(timing.cuts_s) == len(media["clip_cuts"])
    # The first frame of each new shot: exact (well within one frame, 40 ms).
    assert np.allclose(timing.cuts_s, media["clip_cuts"], atol=1e-3)
    assert len(timing.cut_strengths) == len(timing.cuts_s)
    assert all(0.3 < s <= 1.0 for s in timing.cut_strengths)


def test_variable_frame_rate_cuts(media):
    timing = analyze_timing(media["vfr"])
    assert np.allclose(timing.cuts_s, media["vfr_cuts"], atol=1e-3)


def test_flashes_and_fast_motion_are_not_cuts(tmp_path):
    path = tmp_path / "flash.mp4"
    true = make_video(path, duration_s=4.0, cuts_s=(2.2,), flash_s=(0.8, 3.3), speeds=(2.5, 2.5), seed=7)
    timing = analyze_timing(path)
    assert timing.cuts_s == pytest.approx(true, abs=1e-3)


GREEN, SIMILAR_GREEN = (40, 160, 60), (60, 180, 70)  # hard HSV bins scored this cut 0.11 (< 0.15)
FLAT_SHOTS = ((200, 60, 50), (40, 150, 60), (60, 170, 70), (50, 70, 190), (230, 140, 40), (120, 60, 150))


def test_a_cut_between_similar_greens_is_found():
    frames = []
    for i in range(40):
        img = np.full((48, 64, 3), GREEN if i < 20 else SIMILAR_GREEN, np.uint8)
        img[20:28, i : i + 8] = (250, 250, 40)  # a small square moving one pixel a frame
        frames.append((i / 25, img))
    assert [c.time_s for c in detect_cuts(frames)] == pytest.approx([0.8])


def test_flat_colour_shots_every_cut_and_nothing_else(tmp_path):
    """Five hard cuts at irregular times, two of them between similar greens, after H.264."""
    path = tmp_path / "flat.mp4"
    true = make_video(path, duration_s=15.0, cuts_s=(2.1, 4.7, 6.2, 9.9, 12.4), colours=FLAT_SHOTS, seed=3)
    assert analyze_timing(path).cuts_s == pytest.approx(true, abs=1e-3)


@pytest.mark.parametrize("shots", [FLAT_SHOTS[:3], ((200, 60, 50), (0, 0, 0), (40, 150, 60))],
                         ids=["cross-dissolves", "fade to black and back"])
def test_gradual_transitions_are_not_cuts(tmp_path, shots):
    path = tmp_path / "fades.mp4"
    make_video(path, duration_s=8.0, cuts_s=(2.0, 4.0), colours=shots, dissolve_s=1.5, seed=1)
    assert analyze_timing(path).cuts_s == []


def test_grain_and_fast_motion_are_not_cuts(tmp_path):
    """Fresh sensor noise on every frame and a square crossing the frame in 0.4 s."""
    path = tmp_path / "noisy.mp4"
    true = make_video(path, duration_s=6.0, cuts_s=(3.0,), noise=12.0, speeds=(2.5, 2.5), seed=2)
    assert analyze_timing(path).cuts_s == pytest.approx(true, abs=1e-3)
    flat = tmp_path / "noisy_flat.mp4"
    make_video(flat, duration_s=4.0, cuts_s=(), colours=((90, 120, 140),), noise=20.0, speeds=(1.5,), seed=2)
    assert analyze_timing(flat).cuts_s == []


def test_detect_cuts_on_plain_arrays():
    shots = shot_images(3, (96, 64), seed=1)
    frames = [(i / 10, shots[0 if i < 7 else 1 if i < 15 else 2]) for i in range(24)]
    cuts = detect_cuts(frames)
    assert [c.time_s for c in cuts] == pytest.approx([0.7, 1.5])
    # A minimum shot length longer than the middle shot keeps only the stronger cut.
    merged = pick_cuts(_signal(frames), min_shot_s=1.0)
    assert len(merged) == 1 and merged[0].strength == max(c.strength for c in cuts)


def _signal(frames):
    scorer = CutScorer()
    for t, f in frames:
        scorer.add(t, f)
    return scorer.signal()


def test_motion_follows_speed():
    rng = np.random.default_rng(0)
    base = (rng.uniform(0, 255, (12, 16, 3))).astype(np.uint8).repeat(10, 0).repeat(10, 1)  # 120x160 blocks
    def shifted(px):
        return np.roll(base, px, axis=1)
    times = np.arange(0, 4, 0.125)
    frames = [(t, shifted(int(t * (0 if t < 2 else 40)) if t < 2 else int((t - 2) * 40))) for t in times]
    grid = np.arange(0, 4, 0.25)
    energy = motion_curve(frames, grid, smooth_s=0.2)
    still, moving = energy[(grid > 0.3) & (grid < 1.6)], energy[(grid > 2.4) & (grid < 3.7)]
    assert still.max() < 0.1 and moving.min() > 0.5  # 40 px/s on 160 px = 0.25 widths/s
    assert ((energy >= 0) & (energy <= 1)).all()


def test_timing_curves_and_fields(media):
    timing = analyze_timing(media["clip"], markers_s=[2.0, 0.5, 2.0])
    assert isinstance(timing, VideoTiming)
    assert timing.duration_s == pytest.approx(6.0, abs=0.05) and timing.has_audio
    assert (timing.width, timing.height, timing.fps) == (320, 240, 25.0)
    assert timing.markers_s == [0.5, 2.0]
    n = len(timing.curve_times_s)
    assert n == len(timing.motion) == len(timing.intensity) == pytest.approx(6.0 * 4 + 1, abs=1)
    assert all(0 <= v <= 1 for v in timing.intensity + timing.motion)
    again = VideoTiming.from_json(timing.to_json())
    assert again == timing


def test_markers_outside_the_video_are_refused(media):
    with pytest.raises(VmbError, match="marker 9 s is outside"):
        analyze_timing(media["silent"], markers_s=[9.0])


def test_progress_and_sampled_frames_are_reported(media):
    seen, frames = [], []
    analyze_timing(media["silent"], progress=seen.append, sample_fps=4.0, on_frame=lambda t, f: frames.append((t, f)))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(frames) == 16 and frames[0][1].shape == (120, 160, 3)  # 4 s at 4 fps, 160 px


def test_rotated_video_timing(media):
    timing = analyze_timing(media["rotated"])
    assert (timing.width, timing.height) == (240, 320)
    assert timing.cuts_s == pytest.approx([1.0], abs=1e-3)
