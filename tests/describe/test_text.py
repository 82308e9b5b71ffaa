"""describe_text: prompts, poems and scenes -> MusicDescription (uses the packaged MiniLM)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vmb import VmbError, theory
from vmb.describe import describe_text
from vmb.describe import text as text_mod
from vmb.describe import text_parse as tp
from vmb.types import MusicDescription

PROMPTS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "text_prompts.json"


# --------------------------------------------------------------------------- required examples


def test_calm_piano_for_a_rainy_night():
    d = describe_text("calm piano for a rainy night")
    a = d.attributes
    assert d.source == "text"
    assert a.instruments == ["piano"]
    assert a.moods[0] == "calm"
    assert set(a.moods) <= {"calm", "melancholic", "peaceful", "relaxing", "sad", "dreamy", "nostalgic"}
    assert a.tempo_class == "slow" and a.tempo_bpm is None  # not named: placed by the moods
    assert theory.tempo_for(a.genres, a.moods, a.arousal, a.tempo_class) < 84
    assert a.arousal < -0.2 and a.energy < 0.4
    assert "piano" in d.sentence and "calm" in d.sentence
    assert "a rainy night" in d.sentence  # the use the prompt names
    assert any(r.startswith("Emotion match:") and "rainy night" in r for r in d.reasoning)


def test_energetic_rock_anthem():
    a = describe_text("an energetic rock anthem for a car chase").attributes
    assert a.moods[0] in {"energetic", "powerful"}
    assert a.genres == ["rock"]
    assert a.tempo_class == "fast" and a.tempo_bpm is None
    assert theory.tempo_for(a.genres, a.moods, a.arousal, a.tempo_class) >= 120
    assert a.arousal > 0.4
    assert a.instruments == []  # none named; suggestions stay out of the attributes


def test_dark_suspenseful_horror():
    d = describe_text("dark suspenseful music for a horror scene")
    a = d.attributes
    assert set(a.moods[:2]) <= {"dark", "suspenseful", "tense", "mysterious"}
    assert a.mode == "minor" and a.valence < 0
    assert any(r.startswith(text_mod.SUGGESTED_PREFIX) for r in d.reasoning)


# --------------------------------------------------------------------------- negation and explicit values


@pytest.mark.parametrize("prompt", ["relaxing music with no drums", "relaxing music without drums",
                                    "drum-free relaxing music", "relaxing guitar, but no drums please"])
def test_drums_excluded(prompt):
    a = describe_text(prompt).attributes
    assert "drums" in a.excluded_instruments and "drums" not in a.instruments


def test_negated_mood_and_vocals():
    d = describe_text("happy music, not sad, no vocals")
    assert "sad" not in d.attributes.moods
    assert d.attributes.moods[0] == "happy" and d.attributes.mode == "major"
    assert "choir" in d.attributes.excluded_instruments
    assert "with no vocals" in d.sentence
    assert any(r.startswith("Negation:") for r in d.reasoning)


def test_piano_instead_of_guitar():
    a = describe_text("soft piano instead of guitar").attributes
    assert a.instruments == ["piano"] and "acoustic guitar" in a.excluded_instruments


def test_explicit_tempo_key_duration_meter():
    a = describe_text("a gentle waltz in D minor at 90 bpm, 2 minutes long").attributes
    assert (a.tempo_bpm, a.tempo_class) == (90.0, "medium")
    assert (a.key, a.mode) == ("D", "minor")
    assert a.duration_s == 120.0 and a.meter == "3/4"
    b = describe_text("30 seconds of upbeat pop in F# major").attributes
    assert b.duration_s == 30.0 and (b.key, b.mode) == ("F#", "major") and b.genres == ["pop"]


def test_out_of_range_bpm_is_ignored():
    d = describe_text("calm ambient music at 500 bpm")
    assert d.attributes.tempo_bpm != 500 and d.attributes.tempo_class == "slow"
    assert any("ignored" in r for r in d.reasoning)


def test_tempo_word_and_negated_tempo():
    assert describe_text("a sad song but fast").attributes.tempo_class == "fast"
    assert describe_text("energetic dance track, not too fast").attributes.tempo_class != "fast"


@pytest.mark.parametrize("text,tonic,mode", [
    ("in D minor", "D", "minor"), ("key of Bb", "Bb", None), ("Eb major ballad", "Eb", "major"),
    ("in Am", "A", "minor"), ("in a minor key", None, "minor"), ("I am a cat", None, None),
    ("a dance in the dark", None, None), ("in d minor", "D", "minor"),
])
def test_parse_key(text, tonic, mode):
    assert tp.parse_key(text)[:2] == (tonic, mode)


@pytest.mark.parametrize("text,seconds", [
    ("30 seconds", 30.0), ("2 minutes", 120.0), ("1.5 min", 90.0), ("a 45-second clip", 45.0),
    ("2 minutes 30 seconds", 150.0), ("thirty seconds", 30.0), ("30s jazz", None), ("no length", None),
])
def test_parse_duration(text, seconds):
    assert tp.parse_duration(text)[0] == seconds


def test_parse_meter_and_use():
    assert tp.parse_meter("a viennese waltz")[0] == "3/4"
    assert tp.parse_meter("an irish jig")[0] == "6/8"
    assert tp.parse_meter("in 5/4 time") == (None, "5/4")
    assert tp.parse_use("music for my wedding video with strings") == "your wedding video"
    assert tp.parse_use("play it for 30 seconds") is None


def test_keyword_context():
    assert [k.kind for k in tp.find_keywords("a haunted house")] == []
    assert [k.kind for k in tp.find_keywords("sitting on a rock")] == []
    assert [(k.kind, k.value) for k in tp.find_keywords("house music")] == [("genre", "electronic")]


# --------------------------------------------------------------------------- odd input


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_empty_text_raises(bad):
    with pytest.raises(VmbError, match="empty text"):
        describe_text(bad)


def test_emoji():
    sad = describe_text("😢🌙").attributes
    assert sad.moods[0] in {"sad", "calm", "melancholic"} and sad.tempo_class == "slow"
    party = describe_text("🎉🔥").attributes
    assert party.arousal > 0.3 and party.tempo_class in {"medium", "fast"}
    neutral = describe_text("🤷 ... !!!")
    assert neutral.attributes.moods == text_mod.NEUTRAL_MOODS == ["calm", "relaxing"]
    assert neutral.attributes.tempo_class == "slow"  # what calm, relaxing moods give
    assert neutral.sentence.endswith(".") and "neutral default" in neutral.reasoning[-1]


@pytest.mark.parametrize("text", ["Invoice #4411 total due", "安静的钢琴曲", "120 bpm"])
def test_no_mood_evidence_gives_the_neutral_moods(text):
    d = describe_text(text)
    assert d.attributes.moods == text_mod.NEUTRAL_MOODS
    assert "no clear mood" in next(r for r in d.reasoning if r.startswith("Emotion match"))


def test_named_genre_lends_its_moods_when_words_are_flat():
    assert describe_text("latin salsa").attributes.moods == ["groovy", "fun"]


def test_huge_text_is_read_from_its_start():
    huge = ("The night was long and the rain kept falling on the empty streets. " * 16000)[:1_000_000]
    d = describe_text(huge)
    assert d.reasoning[0].startswith("Text: 1,000,000 characters")
    assert d.attributes.moods and d.attributes.tempo_class == "slow"


def test_deterministic_and_seed_changes_only_wording():
    a, b = describe_text("a whimsical cartoon chase", seed=3), describe_text("a whimsical cartoon chase", seed=3)
    assert a.to_dict() == b.to_dict()
    sentences = {describe_text("a whimsical cartoon chase", seed=s).sentence for s in range(6)}
    assert len(sentences) >= 3
    assert describe_text("a whimsical cartoon chase", seed=5).attributes == a.attributes
    assert MusicDescription.from_json(a.to_json()) == a


# --------------------------------------------------------------------------- accuracy and caching


def test_accuracy_on_labelled_prompts():
    prompts = json.loads(PROMPTS.read_text())["prompts"]
    assert len(prompts) >= 40
    mood = tempo = mode = n_tempo = n_mode = 0
    for p in prompts:
        a = describe_text(p["text"]).attributes
        mood += a.moods[0] in p["moods"]
        if p.get("tempo"):
            n_tempo += 1
            tempo += a.tempo_class in (p["tempo"] if isinstance(p["tempo"], list) else [p["tempo"]])
        if p.get("mode"):
            n_mode += 1
            mode += a.mode == p["mode"]
    assert mood / len(prompts) >= 0.85
    assert tempo / n_tempo >= 0.85
    assert mode / n_mode >= 0.85


def test_prototype_cache_file(tmp_path, monkeypatch):
    from vmb import embed

    table = {"mood": {"calm": ["calm music"], "happy": ["happy music"]}, "genre": {"jazz": ["jazz"]},
             "tempo": {"slow": ["slow"]}, "instrument": {"piano": ["piano"]}}
    monkeypatch.setenv("VMB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(text_mod, "_prototype_table", lambda: table)
    text_mod.prototypes.cache_clear()
    try:
        first = text_mod.prototypes()
        assert len(list(tmp_path.glob("text-prototypes-*.npy"))) == 1
        text_mod.prototypes.cache_clear()
        monkeypatch.setattr(embed, "encode_texts", lambda texts: pytest.fail("should load the cached file"))
        second = text_mod.prototypes()
        assert second["mood"][0] == ["calm", "happy"]
        np.testing.assert_array_equal(first["mood"][2], second["mood"][2])
    finally:
        text_mod.prototypes.cache_clear()
        text_mod._hub_bias.cache_clear()


def test_a_text_request_loads_neither_opencv_nor_pyav():
    """Text is the most common request: it must not pay for the video stack's imports."""
    import subprocess
    import sys

    code = ("import sys; from vmb.pipeline import generate_from_text; "
            "generate_from_text('a calm night', duration_s=4, generator='baseline'); "
            "print(sorted(m for m in ('cv2', 'av', 'skimage') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
