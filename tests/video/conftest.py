"""The video tests' shared files, built once per session (tests/fixtures/video.py makes them)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fixtures.video import corrupt_middle, make_audio_only, make_video, truncate

CLIP_CUTS = (1.3, 2.9, 3.65, 5.2)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict:
    """Small test files shared by the video tests: paths and the true cut times."""
    root = tmp_path_factory.mktemp("video")
    files: dict = {"root": root}
    files["clip_cuts"] = make_video(root / "clip.mp4", duration_s=6.0, cuts_s=CLIP_CUTS, audio_hz=440)
    files["clip"] = root / "clip.mp4"
    files["silent"] = root / "silent.mp4"
    make_video(files["silent"], duration_s=4.0, cuts_s=(1.7,), codec="mpeg4", seed=3)
    files["rotated"] = root / "rotated.mp4"
    make_video(files["rotated"], duration_s=2.0, cuts_s=(1.0,), rotation=90, seed=4)
    files["vfr"] = root / "vfr.mp4"
    files["vfr_cuts"] = make_video(files["vfr"], duration_s=6.0, cuts_s=CLIP_CUTS, vfr_jitter=0.3, seed=5)
    files["audio_only"] = root / "audio.m4a"
    make_audio_only(files["audio_only"])
    files["garbage"] = root / "garbage.mp4"
    files["garbage"].write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    files["empty"] = root / "empty.mp4"
    files["empty"].write_bytes(b"")
    files["truncated"] = root / "truncated.mp4"
    truncate(files["clip"], files["truncated"], keep=0.5)
    files["corrupt"] = root / "corrupt.mp4"
    corrupt_middle(files["silent"], files["corrupt"], fraction=0.1)
    return files
