"""GenerationRequest.check (every input validated once) and plan_music (resolved once)."""

from __future__ import annotations

import pytest

from vmb import VmbError
from vmb.pipeline import GenerationRequest, RetrievalOptions, VideoBeats, plan_music
from vmb.types import Attributes, Section, TempoChange


@pytest.mark.parametrize("request_kwargs, message", [
    ({}, "exactly one of"),
    ({"text": "x", "image": "p.png"}, "exactly one of"),
    ({"text": "x", "seed": -1}, "seed -1 is out of range"),
    ({"text": "x", "seed": 2**32}, "out of range"),
    ({"text": "x", "seed": True}, "out of range"),
    ({"text": "x", "duration_s": float("nan")}, "finite number of seconds"),
    ({"text": "x", "duration_s": 2.0}, "out of range"),
    ({"text": "x", "duration_s": 1500.0}, "allow-long"),
    ({"text": "x", "generator": "magic"}, "unknown generator 'magic'"),
    ({"text": "x", "attributes": Attributes(meter="7/8")}, "meter '7/8' is not supported"),
    ({"text": "x", "checkpoint": "/nonexistent.pt"}, "checkpoint '/nonexistent.pt': no such file"),
    ({"text": "x", "soundfont": "/nonexistent.sf2"}, "SoundFont"),
    ({"text": "x", "retrieval": RetrievalOptions(references=("/gone.mid",))}, "reference '/gone.mid'"),
    ({"image": "/gone.png"}, "image '/gone.png': no such file"),
    ({"text": "x", "markers_s": (float("inf"),)}, "marker"),
])
def test_check_refuses_with_one_line(request_kwargs, message):
    with pytest.raises(VmbError, match=message):
        GenerationRequest(**request_kwargs).check()


def test_check_refuses_a_duration_for_a_video(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"not decoded by check")
    with pytest.raises(VmbError, match="video's own length"):
        GenerationRequest(video=video, duration_s=20).check()
    assert GenerationRequest(video=video).check().kind == "video"


def test_check_accepts_the_limits_and_normalises_lists():
    request = GenerationRequest(text="x", seed=2**32 - 1, duration_s=3.0, markers_s=[1.0],
                                retrieval=RetrievalOptions(exclude=["a"])).check()
    assert request.markers_s == (1.0,) and request.retrieval.exclude == ("a",)
    assert GenerationRequest(text="x", duration_s=3000, allow_long=True).check().max_duration_s == 3600


def test_a_steady_plan_fills_the_length_and_counts_the_pulse():
    plan = plan_music(Attributes(tempo_bpm=92.0), meter="6/8", duration_s=30.0)
    assert plan.pulse_bpm == 92.0 and plan.quarter_bpm == pytest.approx(138.0)  # dotted quarters
    assert plan.length_beats == pytest.approx(69.0) and plan.loop_beats is None and plan.sections is None


def test_a_loop_plan_is_whole_bars_and_reports_the_nudged_tempo():
    plan = plan_music(Attributes(tempo_bpm=157.0, energy=0.5), meter="4/4", duration_s=8.0, loop=True)
    assert plan.loop_beats == 20.0 and plan.length_beats == 24.0 and plan.pulse_bpm == 150.0


def test_a_video_plan_keeps_its_beat_map():
    beats = VideoBeats(tempo_map=[TempoChange(0.0, 118.0), TempoChange(8.0, 122.0)], length_beats=16.0,
                     sections=[Section("A", 0, 8), Section("B", 8, 16)], pulse_bpm=120.0)
    plan = plan_music(Attributes(tempo_bpm=120.0), meter="4/4", duration_s=8.0, beats=beats)
    assert plan.tempo_map == beats.tempo_map and plan.length_beats == 16.0 and plan.pulse_bpm == 120.0
    looped = plan_music(Attributes(tempo_bpm=120.0), meter="4/4", duration_s=8.0, beats=beats, loop=True)
    assert looped.loop_beats == 16.0 and looped.length_beats == 20.0 and looped.sections[-1].name == "ending"


def test_the_sidecar_records_the_plan(capsys, tmp_path):
    import json

    from vmb.cli import main

    assert main(["generate", "--text", "a short calm tune", "--generator", "baseline", "--duration", "4",
                 "--json", "-o", str(tmp_path / "a.wav")]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert set(plan) == {"meter", "pulse_bpm", "length_beats", "duration_s", "loop_beats"}
    assert plan["duration_s"] == 4.0 and plan["loop_beats"] is None


# --------------------------------------------------------------------------- what a request resolves to (issue #13)

NEUTRAL = "background music for a video"


def _resolved(text: str, **user):
    from vmb.describe import apply_user_attributes, describe_text
    from vmb.pipeline.core import resolve_attributes

    description = describe_text(text)
    if user:
        description = apply_user_attributes(description, Attributes(**user))
    return resolve_attributes(description.attributes, duration_s=10.0)


def test_mood_and_genre_move_the_tempo_but_named_tempos_win():
    calm, energetic = _resolved(NEUTRAL, moods=["calm"]), _resolved(NEUTRAL, moods=["energetic"])
    assert energetic.tempo_bpm - calm.tempo_bpm >= 30
    assert _resolved(NEUTRAL, genres=["hip hop"]).tempo_bpm <= 98  # inside the genre's range
    assert _resolved(NEUTRAL, genres=["electronic"]).tempo_bpm >= 118
    assert _resolved("a fast song", moods=["calm"]).tempo_class == "fast"  # the text's word still counts
    assert _resolved("music at 90 bpm", moods=["energetic"]).tempo_bpm == 90
    assert _resolved(NEUTRAL, moods=["energetic"], tempo_bpm=70.0).tempo_bpm == 70


def test_the_piece_dies_away_and_reports_each_part():
    import numpy as np

    from vmb.pipeline import generate_from_text

    result = generate_from_text(NEUTRAL, user=Attributes(instruments=["cello", "flute"], genres=["hip hop"]),
                                duration_s=8.0, seed=0, generator="baseline")
    sr, audio = result.render.sample_rate, result.audio
    assert result.score.meter == "4/4"  # hip hop is never in 3/4, whatever its reference
    def level(a):
        return 10 * np.log10(np.mean(a.astype(np.float64) ** 2) + 1e-12)
    tail = audio[-int(1.5 * sr):]
    assert level(tail[:int(0.1 * sr)]) - level(tail[-int(0.1 * sr):]) >= 15
    parts = {p["instrument"]: p for p in result.sidecar()["parts"]}
    assert parts["cello"]["role"] == "melody" and parts["cello"]["asked"]
    assert parts["flute"]["asked"] and parts["flute"]["role"] in ("counter", "melody")


def test_an_asked_mood_replaces_a_genre_the_text_did_not_name():
    from vmb.describe import describe_text
    from vmb.render.arrange.styles import resolve_style

    assert describe_text(NEUTRAL).attributes.genres == ["cinematic"]  # inferred from the scene
    assert "genres" not in describe_text(NEUTRAL).named
    calm = _resolved(NEUTRAL, moods=["calm"])
    assert calm.genres == [] and resolve_style(None, calm).name == "lofi"
    assert resolve_style(None, _resolved(NEUTRAL, moods=["energetic"])).name == "electronic"
    named = describe_text("a jazz tune for a late night")
    assert "genres" in named.named
    assert _resolved("a jazz tune for a late night", moods=["sad"]).genres == ["jazz"]  # named: kept
