"""Atomic writers: audio formats, JSON, and no file left behind when writing fails."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from vmb import VmbError
from vmb.render import atomic_path, write_audio, write_json
from vmb.types import RenderResult

SR = 22050


def _tone() -> np.ndarray:
    t = np.arange(SR // 2) / SR
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 660 * t)], axis=1)


@pytest.mark.parametrize("suffix,fmt", [(".wav", "WAV"), (".WAV", "WAV"), (".flac", "FLAC")])
def test_write_audio_is_16_bit_pcm_in_the_suffix_format(tmp_path, suffix, fmt):
    path = write_audio(tmp_path / f"out{suffix}", _tone(), SR)
    info = sf.info(path)
    assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == (fmt, "PCM_16", SR, 2, SR // 2)
    back, _ = sf.read(path)
    assert np.max(np.abs(back - _tone())) < 1.0 / 32768 + 1e-9
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left


def test_write_audio_clips_overs_and_takes_mono(tmp_path):
    path = write_audio(tmp_path / "hot.wav", np.array([0.0, 1.7, -3.0, 0.5]), SR)
    back, _ = sf.read(path)
    assert back.ndim == 1 and back.max() <= 1.0 and back.min() >= -1.0


def test_bad_suffix_and_bad_audio_write_nothing(tmp_path):
    with pytest.raises(VmbError, match=r"out\.mp3.*\.wav"):
        write_audio(tmp_path / "out.mp3", _tone(), SR)
    with pytest.raises(VmbError, match="NaN"):
        write_audio(tmp_path / "nan.wav", np.full((10, 2), np.nan), SR)
    with pytest.raises(VmbError, match="n_samples"):
        write_audio(tmp_path / "empty.wav", np.zeros((0, 2)), SR)
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_a_vmb_error_naming_the_path(tmp_path):
    target = tmp_path / "no" / "such" / "out.wav"
    with pytest.raises(VmbError, match="no/such/out.wav.*folder does not exist"):
        write_audio(target, _tone(), SR)
    with pytest.raises(VmbError, match="out.json"):
        write_json(tmp_path / "gone" / "out.json", {"a": 1})
    assert os.listdir(tmp_path) == []


def test_failure_while_writing_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.wav"
    target.write_bytes(b"old")

    def broken_write(file, *args, **kwargs):
        with open(file, "wb") as fh:
            fh.write(b"RIFF half a header")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sf, "write", broken_write)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_audio(target, _tone(), SR)
    assert os.listdir(tmp_path) == ["out.wav"] and target.read_bytes() == b"old"


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "data.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("first")
        assert not target.exists()  # invisible until the block ends
    assert target.read_text() == "first"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    with pytest.raises(KeyError):
        with atomic_path(target) as tmp:
            tmp.write_text("second")
            raise KeyError("stop")
    assert target.read_text() == "first" and os.listdir(tmp_path) == ["data.txt"]


def test_write_json_handles_dataclasses_numpy_and_refuses_nan(tmp_path):
    data = {"render": RenderResult(loudness_lufs=-14.0), "peak": np.float32(-1.5), "v": np.arange(3)}
    path = write_json(tmp_path / "side.json", data)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded["render"]["loudness_lufs"] == -14.0 and loaded["peak"] == -1.5 and loaded["v"] == [0, 1, 2]
    with pytest.raises(VmbError, match="bad.json"):
        write_json(tmp_path / "bad.json", {"x": float("nan")})
    assert sorted(os.listdir(tmp_path)) == ["side.json"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_output_follows_the_umask_at_write_time(tmp_path, umask):
    """WAV, JSON and the library manifest get 0666 less the umask in force when they are written."""
    import os

    import numpy as np

    from vmb.render import write_audio, write_json
    from vmb.retrieve.store import Library

    old = os.umask(umask)
    try:
        write_audio(tmp_path / "a.wav", np.zeros((100, 2), np.float32), 44100)
        write_json(tmp_path / "a.json", {"x": 1})
        library = Library.open(tmp_path / "lib", create=True)
        manifest = library.path / "library.json"
    finally:
        os.umask(old)
    for path in (tmp_path / "a.wav", tmp_path / "a.json", manifest):
        assert (path.stat().st_mode & 0o777) == 0o666 & ~umask, path
