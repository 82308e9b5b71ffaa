"""`vmb generate --video`: an MP4 with music of the video's exact length, plus WAV, MIDI, cue sheet."""

from __future__ import annotations

import hashlib
import json

import av
import numpy as np
import soundfile as sf

from video_fixtures import make_video
from vmb.cli import main


def test_video_to_scored_mp4(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    cuts = make_video(clip, duration_s=6.0, cuts_s=(1.3, 2.9, 4.4), audio_hz=330)
    before = hashlib.sha256(clip.read_bytes()).hexdigest()
    out = tmp_path / "scored.mp4"
    assert main(["generate", "--video", str(clip), "--json", "--plot", "-o", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == before  # input untouched

    with av.open(str(out)) as container:
        kinds = sorted(s.type for s in container.streams)
        video_s = float(container.streams.video[0].duration * container.streams.video[0].time_base)
    assert kinds == ["audio", "video"]
    audio, sr = sf.read(out.with_suffix(".wav"))
    assert abs(len(audio) / sr - video_s) <= 1 / 25  # within one frame
    assert np.sqrt(np.mean(audio[-sr:] ** 2)) > 1e-4  # the last second still sounds (a held cadence)

    cues = json.loads(out.with_suffix(".cues.json").read_text())
    beats = np.array(cues["beats_s"])
    assert len(cues["cuts_s"]) == len(cuts) and len(beats) > 4
    assert {"mp4", "wav", "midi", "cues", "plot"} <= set(result["files"])
    assert out.with_suffix(".timing.png").exists()


def test_video_loop_ends_on_a_bar_line_and_wraps_seamlessly(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    make_video(clip, duration_s=7.0, cuts_s=(2.2, 4.9))
    out = tmp_path / "loop.mp4"
    assert main(["generate", "--video", str(clip), "--loop", "--json", "-o", str(out)]) == 0
    capsys.readouterr()
    cues = json.loads(out.with_suffix(".cues.json").read_text())
    audio, sr = sf.read(out.with_suffix(".wav"))
    assert abs(len(audio) / sr - 7.0) <= 1 / 25
    # the video's end is a downbeat: the next bar (bar 1 of the repeat) starts where the clip restarts
    assert cues["sync"]["end_on_downbeat"]
    steps = np.abs(np.diff(audio, axis=0)).max(axis=1)
    assert np.abs(audio[0] - audio[-1]).max() <= np.percentile(steps, 99)  # no click at the wrap
    window = int(0.1 * sr)
    rms_end, rms_start = (float(np.sqrt(np.mean(x**2))) for x in (audio[-window:], audio[:window]))
    assert 0.4 < rms_end / rms_start < 2.5  # no fade at either side of the seam


def test_three_hour_video_is_refused_from_its_header_at_once(tmp_path, capsys):
    """A real 3-hour H.264 file (one tiny frame every 10 s): refused before any analysis, with
    the limit and the way to lift it; --allow-long lifts it to an hour, not beyond."""
    import fractions
    import time

    clip, out = tmp_path / "three_hours.mp4", tmp_path / "scored.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=fractions.Fraction(1, 10))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(1081):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    t0 = time.perf_counter()
    assert main(["generate", "--video", str(clip), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "180.2 min" in err and "20 min" in err and "--allow-long" in err and len(err.strip().splitlines()) == 1
    assert time.perf_counter() - t0 < 5  # the header decides: no decoding pass
    assert main(["generate", "--video", str(clip), "--allow-long", "-o", str(out)]) == 1
    assert "60 min" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("scored*"))


def test_video_output_cannot_overwrite_input(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    make_video(clip, duration_s=3.0, cuts_s=(1.5,))
    before = clip.read_bytes()
    assert main(["generate", "--video", str(clip), "-o", str(clip)]) == 1
    assert "input" in capsys.readouterr().err
    assert clip.read_bytes() == before


def test_not_a_video_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    out = tmp_path / "o.mp4"
    assert main(["generate", "--video", str(bad), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vmb: error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]
