"""Muxing: the video stream is copied, the music fits the length exactly, nothing half-written."""

import os
import stat

import av
import numpy as np
import pytest

from vmb import VmbError
from vmb.video import analyze_timing, decode_audio, mux_audio, plan_tempo_map, plot_timing
from vmb.video.mux import duck_gain

SR = 44100


def _tone(seconds: float, hz: float = 220.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.repeat((amp * np.sin(2 * np.pi * hz * t))[:, None], 2, axis=1).astype(np.float32)


def _video_packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def _rms(x):
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@pytest.mark.parametrize("name", ["clip", "silent", "rotated"])
def test_video_copied_and_music_fitted(media, tmp_path, name):
    out = mux_audio(media[name], _tone(1.5), SR, tmp_path / "out.mp4")
    assert _video_packets(out) == _video_packets(media[name])  # not re-encoded
    with av.open(str(out)) as c:
        video, audio = c.streams.video[0], c.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.rate == SR and len(c.streams.audio) == 1
        assert float(audio.duration * audio.time_base) == pytest.approx(float(video.duration * video.time_base), abs=0.001)
        rotation = next(iter(c.decode(video=0))).rotation
    assert rotation == (90 if name == "rotated" else 0)
    sound = decode_audio(out, SR)
    assert _rms(sound[: SR]) == pytest.approx(0.3 / np.sqrt(2), rel=0.05)  # the music
    assert _rms(sound[2 * SR : int(3.5 * SR)]) < 1e-3  # padded with silence after 1.5 s


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["umask 022", "umask 027"])
def test_output_mode_follows_the_umask(media, tmp_path, umask):
    """Like every other output (0644 under umask 022), not the 0600 of a private temp file."""
    old = os.umask(umask)
    try:
        out = mux_audio(media["silent"], _tone(1.0), SR, tmp_path / "out.mp4")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]  # no temporary file left


def test_music_is_sample_aligned(media, tmp_path):
    music = np.zeros((4 * SR, 2), np.float32)
    clicks = [0.5, 1.7, 3.1]
    for t in clicks:
        i = int(t * SR)
        music[i : i + 64] = 0.9
    sound = decode_audio(mux_audio(media["silent"], music, SR, tmp_path / "c.mp4"), SR)
    for t in clicks:
        window = np.abs(sound[int((t - 0.05) * SR) : int((t + 0.05) * SR), 0])
        onset = (np.argmax(window > 0.3) + int((t - 0.05) * SR)) / SR
        assert abs(onset - t) < 0.001


def test_keep_audio_mixes_and_ducks(media, tmp_path):
    music = _tone(6.0, hz=880.0, amp=0.3)
    plain = decode_audio(mux_audio(media["clip"], music, SR, tmp_path / "a.mp4"), SR)
    mixed = decode_audio(mux_audio(media["clip"], music, SR, tmp_path / "b.mp4", keep_audio=True), SR)
    original = decode_audio(media["clip"], SR)
    n = 4 * SR
    # Project onto the two tones: the 440 Hz original is present, the 880 Hz music is ducked.
    t = np.arange(SR, n) / SR
    def level(x, hz):
        return abs(np.mean(x[SR:n, 0] * np.exp(-2j * np.pi * hz * t))) * 2
    assert level(plain, 440) < 0.01 and level(mixed, 440) == pytest.approx(level(original, 440), rel=0.1)
    ratio_db = 20 * np.log10(level(mixed, 880) / level(plain, 880))
    assert ratio_db == pytest.approx(-12.0, abs=1.5)


def test_duck_gain_attack_and_release():
    loud = np.zeros((3 * SR, 2), np.float32)
    loud[SR : 2 * SR] = 0.5 * np.sin(np.arange(SR) * 0.05)[:, None]
    gain_db = 20 * np.log10(duck_gain(loud, SR, -12.0))
    assert gain_db[SR // 2] == pytest.approx(0.0, abs=0.1)  # quiet: music untouched
    assert gain_db[int(1.5 * SR)] == pytest.approx(-12.0, abs=0.5)  # loud: ducked
    assert gain_db[SR + int(0.15 * SR)] < -10  # fast attack
    assert -12 < gain_db[2 * SR + int(0.2 * SR)] < -2  # slow release
    assert gain_db[-1] > -1.5  # 1 s after: recovered (400 ms release time constant)


def test_errors_leave_no_file(media, tmp_path):
    bad = _tone(1.0)
    bad[10] = np.nan
    with pytest.raises(VmbError, match="NaN"):
        mux_audio(media["clip"], bad, SR, tmp_path / "x.mp4")
    with pytest.raises(VmbError, match="input video"):
        mux_audio(media["clip"], _tone(1.0), SR, media["clip"])
    with pytest.raises(VmbError, match="no video stream"):
        mux_audio(media["audio_only"], _tone(1.0), SR, tmp_path / "y.mp4")
    with pytest.raises(VmbError, match="shape"):
        mux_audio(media["clip"], np.zeros((10, 3), np.float32), SR, tmp_path / "z.mp4")
    assert list(tmp_path.iterdir()) == []


def test_vp8_is_reencoded(tmp_path):
    from fractions import Fraction

    src = tmp_path / "in.webm"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("libvpx", rate=Fraction(10))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), format="rgb24")
            frame.pts = i
            for p in stream.encode(frame):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    out_path = mux_audio(src, _tone(2.0), SR, tmp_path / "out.mp4")
    with av.open(str(out_path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in c.decode(video=0)) == 20


def test_plot_writes_a_png(media, tmp_path):
    timing = analyze_timing(media["clip"], markers_s=[2.0])
    plan = plan_tempo_map(timing, bpm_range=(90, 130))
    old = os.umask(0o022)
    try:
        path = plot_timing(timing, plan, tmp_path / "t.png")
    finally:
        os.umask(old)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["t.png"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # not mkstemp's 0600
