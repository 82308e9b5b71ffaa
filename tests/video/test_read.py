"""Reading videos: probing, streamed low-resolution frames, timestamps, rotation, bad files."""

import warnings

import numpy as np
import pytest

from tests.fixtures.video import make_video
from vmb import VmbError
from vmb.video import probe_video, sample_frames


def test_probe_reports_the_stream(media):
    info = probe_video(media["clip"])
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    assert info.fps == pytest.approx(25.0)
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert info.has_audio and info.audio_sample_rate == 44100
    assert info.n_frames == 150 and info.codec == "h264"
    silent = probe_video(media["silent"])
    assert not silent.has_audio and silent.audio_sample_rate is None and silent.codec == "mpeg4"


def test_rotation_is_applied_to_size_and_pixels(media):
    info = probe_video(media["rotated"])
    assert info.rotation == 90 and (info.width, info.height) == (240, 320)
    t, frame = next(iter(sample_frames(media["rotated"], fps=1, max_side=160)))
    assert frame.shape == (160, 120, 3)  # portrait, as displayed


def test_sampling_is_small_regular_and_streamed(media):
    gen = sample_frames(media["clip"], fps=4.0, max_side=160)
    assert not isinstance(gen, list)
    frames = list(gen)
    times = np.array([t for t, _ in frames])
    assert len(frames) == 24  # 6 s at 4 fps
    assert times[0] == 0.0 and np.all(np.diff(times) > 0.2) and np.all(np.diff(times) < 0.3)
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for _, f in frames)
    every = list(sample_frames(media["clip"], fps=0, max_side=64))
    assert len(every) == 150 and every[0][1].shape == (48, 64, 3)


def test_variable_frame_rate_keeps_true_timestamps(media):
    times = [t for t, _ in sample_frames(media["vfr"], fps=0, max_side=32)]
    steps = np.diff(times)
    assert steps.min() < 0.03 and steps.max() > 0.05  # really irregular
    assert all(round(t * 1000) == pytest.approx(t * 1000, abs=1e-6) for t in times)  # millisecond pts


@pytest.mark.parametrize(
    "name, reason",
    [
        ("garbage", "not a readable video"),
        ("empty", "empty"),
        ("audio_only", "no video stream"),
        ("truncated", "not a readable video"),
    ],
)
def test_bad_files_are_one_line_errors(media, name, reason):
    with pytest.raises(VmbError, match=reason) as err:
        probe_video(media[name])
    assert "\n" not in str(err.value) and str(media[name]) in str(err.value)


def test_missing_file_and_folder(media, tmp_path):
    with pytest.raises(VmbError, match="no such file"):
        list(sample_frames(tmp_path / "nope.mp4"))
    with pytest.raises(VmbError, match="folder"):
        probe_video(tmp_path)


def test_duration_limit_can_be_lifted(media):
    with pytest.raises(VmbError, match="limit.*max_duration_s"):
        probe_video(media["clip"], max_duration_s=3.0)
    assert probe_video(media["clip"], max_duration_s=10.0).duration_s > 5


def test_frames_above_the_size_limit_are_refused(media, monkeypatch):
    import vmb.video.read as read

    monkeypatch.setattr(read, "MAX_PIXELS", 320 * 240 - 1)  # as if the clip were bigger than 8K
    with pytest.raises(VmbError, match="320x240 frames are above the 8K limit"):
        probe_video(media["clip"])


def test_corrupt_middle_is_skipped_with_a_warning(media):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        times = [t for t, _ in sample_frames(media["corrupt"], fps=0, max_side=32)]
    assert any("undecodable" in str(w.message) for w in caught)
    assert times[-1] > 3.5  # frames after the damage still come out
    assert len(times) < 100  # ... but the damaged ones are gone (4 s at 25 fps = 100)


def test_truncated_faststart_file_warns(tmp_path):
    from tests.fixtures.video import truncate

    make_video(tmp_path / "fs.mp4", duration_s=6.0, faststart=True)
    truncate(tmp_path / "fs.mp4", tmp_path / "cut.mp4", keep=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        times = [t for t, _ in sample_frames(tmp_path / "cut.mp4", fps=2)]
    assert times[-1] < 4.5
    assert any("truncated" in str(w.message) for w in caught)
