"""`vmb generate --video`: an MP4 with music of the video's exact length, plus WAV, MIDI, cue sheet."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat

import av
import mido
import numpy as np
import pytest
import soundfile as sf

from tests.fixtures.video import make_video
from vmb.cli import main
from vmb.evaluate.sync import evaluate_heard_sync
from vmb.pipeline import generate_from_text, generate_from_video
from vmb.types import Attributes


def _midi_mean_bpm(path, duration_s: float, quarters_per_beat: float = 1.0) -> float:
    """The tempo a MIDI file plays at over its first ``duration_s`` seconds, in counted beats a minute."""
    mid = mido.MidiFile(str(path))
    changes, tick = [], 0
    for msg in mid.tracks[0]:
        tick += msg.time
        if msg.type == "set_tempo":
            changes.append((tick / mid.ticks_per_beat, msg.tempo / 1e6))  # (quarter note, s per quarter)
    changes.append((float("inf"), changes[-1][1]))
    quarters, left = 0.0, duration_s
    for (beat, spq), (next_beat, _) in zip(changes, changes[1:]):
        span_s = (next_beat - beat) * spq
        if span_s >= left:
            quarters = beat + left / spq
            break
        left -= span_s
    return 60.0 * quarters / quarters_per_beat / duration_s


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
    # What is reported is what was made: the MIDI plays at the tempo the JSON and the cues state.
    reported = result["attributes"]["tempo_bpm"]
    assert _midi_mean_bpm(out.with_suffix(".mid"), video_s) == pytest.approx(reported, abs=0.1)
    assert cues["attributes"]["tempo_bpm"] == reported == cues["sync"]["mean_bpm"]
    # The MP4 gets the same mode as the WAV beside it (mkstemp used to leave it 0600).
    modes = {p.suffix: stat.S_IMODE(os.stat(p).st_mode) for p in (out, out.with_suffix(".wav"))}
    assert modes[".mp4"] == modes[".wav"]


def test_video_loop_ends_on_a_bar_line_and_wraps_seamlessly(tmp_path, capsys):
    clip = tmp_path / "clip.mp4"
    make_video(clip, duration_s=7.0, cuts_s=(2.2, 4.9))
    out = tmp_path / "loop.mp4"
    assert main(["generate", "--video", str(clip), "--loop", "-o", str(out)]) == 0
    printed = float(re.search(r"^music: ([0-9.]+) BPM", capsys.readouterr().err, re.M).group(1))
    cues = json.loads(out.with_suffix(".cues.json").read_text())
    audio, sr = sf.read(out.with_suffix(".wav"))
    assert abs(len(audio) / sr - 7.0) <= 1 / 25
    # The printed tempo, the cue sheet's and the MIDI's agree (they once said 85, 85 and 80).
    assert printed == cues["attributes"]["tempo_bpm"]
    assert _midi_mean_bpm(out.with_suffix(".mid"), 7.0) == pytest.approx(printed, abs=0.1)
    # the video's end is a downbeat: the next bar (bar 1 of the repeat) starts where the clip restarts
    assert cues["sync"]["end_on_downbeat"]
    steps = np.abs(np.diff(audio, axis=0)).max(axis=1)
    assert np.abs(audio[0] - audio[-1]).max() <= np.percentile(steps, 99)  # no click at the wrap
    window = int(0.1 * sr)
    rms_end, rms_start = (float(np.sqrt(np.mean(x**2))) for x in (audio[-window:], audio[:window]))
    assert 0.4 < rms_end / rms_start < 2.5  # no fade at either side of the seam


def test_six_eight_tempo_counts_dotted_quarters_as_on_the_text_path(tmp_path):
    """--meter 6/8 --tempo 92: 92 dotted quarters (138 quarter notes) a minute, text or video."""
    user = Attributes(meter="6/8", tempo_bpm=92.0, tempo_class="medium")
    text = generate_from_text("a walk by the sea", user=user, duration_s=8.0, seed=0, generator="baseline")
    assert text.attributes.tempo_bpm == 92.0 and text.score.tempo_map[0].bpm == pytest.approx(138.0)
    clip = tmp_path / "clip.mp4"
    make_video(clip, duration_s=8.0, cuts_s=(2.6, 5.3))
    video = generate_from_video(clip, user=user, seed=0, generator="baseline")
    plan = video.video.beat_plan
    # The same counted tempo, up to what a video may do to an explicit tempo (the base within 4 %
    # of it, each stretch within 4 % of the base): 8 s hold about 8 * 138 / 60 quarter notes.
    quarters = video.score.seconds_to_beat(8.0)
    assert 60 * quarters / 1.5 / 8.0 == pytest.approx(video.attributes.tempo_bpm, abs=0.1)
    assert video.attributes.tempo_bpm == pytest.approx(92.0, rel=0.082)
    assert video.score.meter == "6/8" and plan.beats_per_bar == 2  # two dotted quarters a bar
    assert np.median(np.diff(plan.beats_s)) == pytest.approx(60 / 92, rel=0.082)  # a beat is a dotted quarter


FLAT_SHOTS = ((200, 60, 50), (40, 150, 60), (60, 170, 70), (50, 70, 190), (230, 140, 40), (120, 60, 150))


def test_every_cut_of_a_five_cut_video_is_heard_on_a_beat(tmp_path):
    """15 s, five hard cuts at irregular times between flat colours (two similar greens): all
    five are found, and the rendered music has an onset within 50 ms of at least four."""
    clip = tmp_path / "five.mp4"
    true = make_video(clip, duration_s=15.0, cuts_s=(2.1, 4.7, 6.2, 9.9, 12.4), colours=FLAT_SHOTS, seed=3)
    result = generate_from_video(clip, seed=0)
    timing, plan = result.video.timing, result.video.beat_plan
    assert timing.cuts_s == pytest.approx(true, abs=1e-3)
    assert plan.sync.missed_s == []  # every cut planned on a beat
    heard = evaluate_heard_sync(true, result.audio, result.render.sample_rate, duration_s=timing.duration_s)
    assert heard["coverage@50ms"] >= 0.8


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


def test_hits_fall_on_the_counted_beat_in_6_8():
    """A cut on a 6/8 pulse is struck on that pulse (1.5 quarter notes), not the nearest quarter."""
    from vmb.pipeline.video import hit_beats
    from vmb.types import TempoChange
    from vmb.video.beatmap import BeatPlan

    plan = BeatPlan(tempo_map=[TempoChange(0.0, 90.0)], beats_s=[], downbeats_s=[], length_beats=12.0,
                    beats_per_bar=2, quarters_per_beat=1.5)  # 60 dotted quarters a minute
    assert hit_beats(plan, [1.0, 2.02, 3.0]) == (1.5, 3.0, 4.5)
    four = BeatPlan(tempo_map=[TempoChange(0.0, 120.0)], beats_s=[], downbeats_s=[], length_beats=8.0)
    assert hit_beats(four, [0.5, 0.51, 1.49]) == (1.0, 3.0)


def test_video_stems_go_beside_the_music_and_never_over_the_video(tmp_path):
    from vmb import VmbError
    from vmb.pipeline import write_video_outputs

    clip = tmp_path / "clip.mp4"
    make_video(clip, duration_s=4.0, cuts_s=(1.9,))
    result = generate_from_video(clip, seed=0, generator="baseline", stems=True)
    out = tmp_path / "scored.mp4"
    write_video_outputs(result, out)
    for name in result.stems:
        assert (tmp_path / f"scored.{name}.wav").is_file()
    # a video whose name is one of the stem files is refused before anything is written
    odd = tmp_path / "again.drums.wav"
    odd.write_bytes(clip.read_bytes())
    result.video.path = str(odd)
    before = odd.read_bytes()
    with pytest.raises(VmbError):
        write_video_outputs(result, tmp_path / "again.mp4")
    assert odd.read_bytes() == before and not (tmp_path / "again.mp4").exists()
